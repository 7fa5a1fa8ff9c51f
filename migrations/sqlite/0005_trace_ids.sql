-- Trace ids (W3C trace-id form: 32 lowercase hex digits). Every input is stored with the trace it
-- arrived in (the caller's `traceparent`, else a fresh UUIDv7), and every decision the engine
-- takes for it carries that id, in its record and in an indexed column, so
-- `GET /v1/decisions?trace_id=` finds them without reading JSON. Rows written before this
-- migration have none (the runtime derives one for an input without, see runtime.rs).
ALTER TABLE ing.inputs ADD COLUMN trace_id TEXT;
ALTER TABLE main.decisions ADD COLUMN trace_id TEXT;
CREATE INDEX main.decisions_trace ON decisions(trace_id, id);
