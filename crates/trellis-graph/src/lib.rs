//! Validation of Trellis workspaces. Reading (`trellis-model`) reports malformed values; this
//! crate builds a petgraph graph of each journey and reports every structural problem at once:
//! duplicate ids, dangling edges, reused ports, missing triggers, unreachable nodes, instant
//! cycles, unknown offers, unconnected ports, budgets too short for their stock, and conditions
//! or branches no user can ever satisfy.
//!
//! Validation is data: `validate*` return `Vec<Diagnostic>`, never an error.

pub mod synthetic;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, EdgeRef};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use trellis_model::{
    aggregate_ref, read_bytes, read_value, segment_ref, Code, Condition, Diagnostic, Journey,
    NodeKind, Operand, ReadOutcome, Workspace,
};
use trellis_rules::analysis::{satisfiability, Sat};

/// Reads and validates a document from bytes: reader diagnostics, then graph diagnostics.
pub fn validate_bytes(bytes: &[u8]) -> (Option<Workspace>, Vec<Diagnostic>) {
    finish(read_bytes(bytes))
}

/// Reads and validates a parsed document.
pub fn validate_value(v: &Value) -> (Option<Workspace>, Vec<Diagnostic>) {
    finish(read_value(v))
}

fn finish(o: ReadOutcome) -> (Option<Workspace>, Vec<Diagnostic>) {
    let mut diags = o.diagnostics;
    if let Some(ws) = &o.workspace {
        let more = validate_with(ws, &diags);
        diags.extend(more);
    }
    (o.workspace, diags)
}

/// Graph checks of an already-read workspace.
pub fn validate(ws: &Workspace) -> Vec<Diagnostic> {
    validate_with(ws, &[])
}

/// Graph checks; `reader` holds the reader's diagnostics so that placeholders it left for bad
/// values are not reported twice.
pub fn validate_with(ws: &Workspace, reader: &[Diagnostic]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    for (i, o) in ws.offers.iter().enumerate() {
        if o.id.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(o.id.as_str(), i) {
            out.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    format!("offer id {:?} is already used by offer #{first}", o.id),
                )
                .at(format!("/offers/{i}/id")),
            );
        }
    }
    let mut seen = HashMap::new();
    for (i, j) in ws.journeys.iter().enumerate() {
        let base = if ws.single_journey {
            String::new()
        } else {
            format!("/journeys/{i}")
        };
        if !j.id.is_empty() {
            if let Some(first) = seen.insert(j.id.as_str(), i) {
                out.push(
                    Diagnostic::new(
                        Code::DuplicateId,
                        format!("journey id {:?} is already used by journey #{first}", j.id),
                    )
                    .journey(Some(&j.id))
                    .at(format!("{base}/id")),
                );
            }
        }
        let bad_paths: Vec<&str> = reader
            .iter()
            .filter_map(|d| d.path.as_deref())
            .filter(|p| p.starts_with(&base))
            .collect();
        JourneyCheck {
            ws,
            j,
            base: &base,
            bad_paths,
            out: &mut out,
        }
        .run();
    }
    aggregate_refs(ws, reader, &mut out);
    segment_refs(ws, reader, &mut out);
    model_refs(ws, reader, &mut out);
    out
}

/// Every field of a condition that `pick` takes (`agg.<id>`, `segment.<id>`), with its
/// pointer: (id, pointer).
fn refs_in(
    c: &Condition,
    at: &str,
    pick: fn(&str) -> Option<&str>,
    out: &mut Vec<(String, String)>,
) {
    match c {
        Condition::Group { children, .. } => {
            for (i, ch) in children.iter().enumerate() {
                refs_in(ch, &format!("{at}/children/{i}"), pick, out);
            }
        }
        Condition::Leaf { field, value, .. } => {
            if let Some(id) = pick(field) {
                out.push((id.to_owned(), format!("{at}/field")));
            }
            if let Operand::Field(f) = value {
                if let Some(id) = pick(f) {
                    out.push((id.to_owned(), format!("{at}/value/field")));
                }
            }
        }
    }
}

fn defined(ids: impl Iterator<Item = String>) -> String {
    let ids: Vec<String> = ids.collect();
    if ids.is_empty() {
        String::new()
    } else {
        format!(" (defined: {})", ids.join(", "))
    }
}

/// Models (`docs/uplift.md`): a `gate.uplift` whose `model` names no model of the workspace's
/// `models` (`E_BAD_PARAM` at `params/model`). While the reader refused a model (it is left out),
/// gates are not checked: its own error is shown.
fn model_refs(ws: &Workspace, reader: &[Diagnostic], out: &mut Vec<Diagnostic>) {
    if reader
        .iter()
        .any(|d| d.path.as_deref().is_some_and(|p| p.starts_with("/models")))
    {
        return;
    }
    for (ji, j) in ws.journeys.iter().enumerate() {
        let base = if ws.single_journey {
            String::new()
        } else {
            format!("/journeys/{ji}")
        };
        for (ni, n) in j.nodes.iter().enumerate() {
            let NodeKind::GateUplift { model, .. } = &n.kind else {
                continue;
            };
            if ws.model(model).is_some() {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::BadParam,
                format!(
                    "model {model:?} names no model: add it to the workspace's \"models\" (trellis uplift train writes one){}",
                    defined(ws.models.iter().map(|m| m.id.clone()))
                ),
            )
            .journey((!j.id.is_empty()).then_some(j.id.as_str()))
            .at(format!("{base}/nodes/{ni}/params/model"));
            if !n.id.is_empty() {
                d = d.node(&n.id);
            }
            out.push(d);
        }
    }
}

/// Segments (`docs/segments.md`): `segment.<id>` naming no segment (`E_BAD_PARAM` at the leaf
/// in a journey, `E_SCHEMA` in a segment's `when`), a `trigger.segment` naming no segment
/// (`E_BAD_PARAM` at `params/segment`), `agg.<id>` in a segment naming no aggregate
/// (`E_SCHEMA`), and a segment that refers to itself, directly or through others (`E_SCHEMA`
/// at the reference that closes the loop). While the reader refused a segment (it is left out),
/// references to segments are not checked: its own error is shown.
fn segment_refs(ws: &Workspace, reader: &[Diagnostic], out: &mut Vec<Diagnostic>) {
    let refused = |prefix: &str| {
        reader
            .iter()
            .any(|d| d.path.as_deref().is_some_and(|p| p.starts_with(prefix)))
    };
    let names = || defined(ws.segments.iter().map(|s| s.id.clone()));
    if !refused("/segments") {
        for (ji, j) in ws.journeys.iter().enumerate() {
            let base = if ws.single_journey {
                String::new()
            } else {
                format!("/journeys/{ji}")
            };
            for (ni, n) in j.nodes.iter().enumerate() {
                let mut found = Vec::new();
                for (cond, at) in n.kind.conditions() {
                    refs_in(
                        cond,
                        &format!("{base}/nodes/{ni}{at}"),
                        segment_ref,
                        &mut found,
                    );
                }
                if let NodeKind::TriggerSegment { segment, .. } = &n.kind {
                    found.push((segment.clone(), format!("{base}/nodes/{ni}/params/segment")));
                }
                for (id, path) in found {
                    if ws.segment(&id).is_none() {
                        let mut d = Diagnostic::new(
                            Code::BadParam,
                            format!(
                                "segment {id:?} names no segment: define it in the workspace's \"segments\"{}",
                                names()
                            ),
                        )
                        .journey((!j.id.is_empty()).then_some(j.id.as_str()))
                        .at(path);
                        if !n.id.is_empty() {
                            d = d.node(&n.id);
                        }
                        out.push(d);
                    }
                }
            }
        }
    }
    let index: HashMap<&str, usize> = ws
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    // Each segment's references to segments, with their pointers.
    let mut edges: Vec<Vec<(String, String)>> = Vec::new();
    for (i, s) in ws.segments.iter().enumerate() {
        let at = format!("/segments/{i}/when");
        if !refused("/aggregates") {
            let mut aggs = Vec::new();
            refs_in(&s.when, &at, aggregate_ref, &mut aggs);
            for (id, path) in aggs {
                if ws.aggregate(&id).is_none() {
                    out.push(
                        Diagnostic::new(
                            Code::Schema,
                            format!(
                                "agg.{id} names no aggregate: define {id:?} in the workspace's \"aggregates\"{}",
                                defined(ws.aggregates.iter().map(|a| a.id.clone()))
                            ),
                        )
                        .at(path),
                    );
                }
            }
        }
        let mut segs = Vec::new();
        refs_in(&s.when, &at, segment_ref, &mut segs);
        if !refused("/segments") {
            for (id, path) in &segs {
                if !index.contains_key(id.as_str()) {
                    out.push(
                        Diagnostic::new(
                            Code::Schema,
                            format!(
                                "segment.{id} names no segment: define {id:?} in the workspace's \"segments\"{}",
                                names()
                            ),
                        )
                        .at(path.clone()),
                    );
                }
            }
        }
        edges.push(segs);
    }
    // A reference that leads back to the segment it is in: a loop, reported once per segment
    // on the loop, at its reference that starts the way back.
    for (i, s) in ws.segments.iter().enumerate() {
        for (id, path) in &edges[i] {
            let Some(&first) = index.get(id.as_str()) else {
                continue;
            };
            // Depth-first from the referenced segment: does it reach segment i?
            let mut trail: Vec<usize> = vec![first];
            let mut seen = vec![false; ws.segments.len()];
            let mut stack: Vec<(usize, usize)> = vec![(first, 0)];
            seen[first] = true;
            let mut looped = first == i;
            while !looped {
                let Some(&mut (at, ref mut next)) = stack.last_mut() else {
                    break;
                };
                let Some((rid, _)) = edges[at].get(*next) else {
                    stack.pop();
                    trail.pop();
                    continue;
                };
                *next += 1;
                let Some(&r) = index.get(rid.as_str()) else {
                    continue;
                };
                if r == i {
                    looped = true;
                } else if !seen[r] {
                    seen[r] = true;
                    stack.push((r, 0));
                    trail.push(r);
                }
            }
            if looped {
                let way: Vec<&str> = std::iter::once(s.id.as_str())
                    .chain(trail.iter().map(|&t| ws.segments[t].id.as_str()))
                    .chain((first != i).then_some(s.id.as_str()))
                    .collect();
                out.push(
                    Diagnostic::new(
                        Code::Schema,
                        format!(
                            "segment {:?} refers to itself ({}): a segment's when may read other segments, but not in a loop",
                            s.id,
                            way.join(" → ")
                        ),
                    )
                    .at(path.clone()),
                );
                break;
            }
        }
    }
}

/// Every `agg.<id>` a condition of a journey names: (aggregate id, journey index, node index,
/// pointer from the document root).
fn agg_uses(ws: &Workspace) -> Vec<(String, usize, usize, String)> {
    fn walk(c: &Condition, at: &str, out: &mut Vec<(String, String)>) {
        match c {
            Condition::Group { children, .. } => {
                for (i, ch) in children.iter().enumerate() {
                    walk(ch, &format!("{at}/children/{i}"), out);
                }
            }
            Condition::Leaf { field, value, .. } => {
                if let Some(id) = aggregate_ref(field) {
                    out.push((id.to_owned(), format!("{at}/field")));
                }
                if let Operand::Field(f) = value {
                    if let Some(id) = aggregate_ref(f) {
                        out.push((id.to_owned(), format!("{at}/value/field")));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (ji, j) in ws.journeys.iter().enumerate() {
        let base = if ws.single_journey {
            String::new()
        } else {
            format!("/journeys/{ji}")
        };
        for (ni, n) in j.nodes.iter().enumerate() {
            for (cond, at) in n.kind.conditions() {
                let mut found = Vec::new();
                walk(cond, &format!("{base}/nodes/{ni}{at}"), &mut found);
                out.extend(found.into_iter().map(|(id, p)| (id, ji, ni, p)));
            }
        }
    }
    out
}

/// `agg.<id>` naming no aggregate of the workspace (`E_BAD_PARAM` at the leaf), and aggregates
/// no condition reads (`W_UNUSED_AGGREGATE`). When the reader refused an aggregate (it is then
/// left out of the workspace), references are not checked: they may name the refused one, and
/// its error is already reported.
fn aggregate_refs(ws: &Workspace, reader: &[Diagnostic], out: &mut Vec<Diagnostic>) {
    let uses = agg_uses(ws);
    // Aggregates a segment reads are used too (unknown ones there are reported with segments).
    let mut in_segments = Vec::new();
    for (i, s) in ws.segments.iter().enumerate() {
        refs_in(
            &s.when,
            &format!("/segments/{i}/when"),
            aggregate_ref,
            &mut in_segments,
        );
    }
    let refused = reader.iter().any(|d| {
        d.path
            .as_deref()
            .is_some_and(|p| p.starts_with("/aggregates"))
    });
    if !refused {
        for (id, ji, ni, path) in &uses {
            if ws.aggregate(id).is_none() {
                let j = &ws.journeys[*ji];
                let mut d = Diagnostic::new(
                    Code::BadParam,
                    format!(
                        "agg.{id} names no aggregate: define {id:?} in the workspace's \"aggregates\"{}",
                        if ws.aggregates.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " (defined: {})",
                                ws.aggregates
                                    .iter()
                                    .map(|a| a.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    ),
                )
                .journey((!j.id.is_empty()).then_some(j.id.as_str()))
                .at(path.clone());
                if !j.nodes[*ni].id.is_empty() {
                    d = d.node(&j.nodes[*ni].id);
                }
                out.push(d);
            }
        }
    }
    for (i, a) in ws.aggregates.iter().enumerate() {
        if !uses.iter().any(|(id, ..)| *id == a.id)
            && !in_segments.iter().any(|(id, _)| *id == a.id)
        {
            out.push(
                Diagnostic::new(
                    Code::UnusedAggregate,
                    format!(
                        "aggregate {:?} is read by no condition: it costs memory per user and decides nothing",
                        a.id
                    ),
                )
                .at(format!("/aggregates/{i}")),
            );
        }
    }
}

struct JourneyCheck<'a> {
    ws: &'a Workspace,
    j: &'a Journey,
    base: &'a str,
    bad_paths: Vec<&'a str>,
    out: &'a mut Vec<Diagnostic>,
}

impl JourneyCheck<'_> {
    fn diag(&mut self, code: Code, msg: String, path: String) -> &mut Diagnostic {
        let jid = (!self.j.id.is_empty()).then_some(self.j.id.as_str());
        self.out
            .push(Diagnostic::new(code, msg).journey(jid).at(path));
        self.out.last_mut().expect("just pushed")
    }

    fn node_diag(&mut self, code: Code, idx: usize, msg: String, suffix: &str) {
        let id = self.j.nodes[idx].id.clone();
        let path = format!("{}/nodes/{idx}{suffix}", self.base);
        let d = self.diag(code, msg, path);
        if !id.is_empty() {
            d.node = Some(id);
        }
    }

    fn edge_diag(&mut self, code: Code, k: usize, msg: String, field: &str) {
        let path = format!("{}/edges/{k}{field}", self.base);
        self.diag(code, msg, path).edge = Some(k);
    }

    fn reported(&self, path: &str) -> bool {
        self.bad_paths.iter().any(|p| {
            p.starts_with(path) && (p.len() == path.len() || p.as_bytes()[path.len()] == b'/')
        })
    }

    fn run(mut self) {
        let j = self.j;
        // Nodes: ids, types.
        let mut index: HashMap<&str, usize> = HashMap::new();
        // Later copies of a duplicated id: edges name the first, so nothing else is said of them.
        let mut dups: HashSet<usize> = HashSet::new();
        for (i, n) in j.nodes.iter().enumerate() {
            if n.id.is_empty() {
                continue;
            }
            if let Some(&first) = index.get(n.id.as_str()) {
                self.node_diag(
                    Code::DuplicateId,
                    i,
                    format!("node id {:?} is already used by node #{first}", n.id),
                    "/id",
                );
                dups.insert(i);
            } else {
                index.insert(&n.id, i);
            }
            if let NodeKind::Unknown { type_name, .. } = &n.kind {
                if !type_name.is_empty() {
                    self.node_diag(
                        Code::UnknownNodeType,
                        i,
                        format!(
                            "unknown node type {type_name:?}; known types are {}",
                            trellis_model::NODE_TYPES.join(", ")
                        ),
                        "/type",
                    );
                }
            }
        }
        let triggers: Vec<usize> = (0..j.nodes.len())
            .filter(|&i| j.nodes[i].kind.is_trigger())
            .collect();
        if triggers.is_empty() {
            let path = format!("{}/nodes", self.base);
            self.diag(Code::NoTrigger, "the journey has no trigger node: add an event, schedule or pattern trigger so users can enter".into(), path);
        }

        // Edges.
        let mut g: DiGraph<usize, usize> = DiGraph::with_capacity(j.nodes.len(), j.edges.len());
        let gi: Vec<NodeIndex> = (0..j.nodes.len()).map(|i| g.add_node(i)).collect();
        let mut used_ports: HashMap<(usize, &str), usize> = HashMap::new();
        for (k, e) in j.edges.iter().enumerate() {
            if self.reported(&format!("{}/edges/{k}", self.base)) {
                continue;
            }
            let from = index.get(e.from.as_str()).copied();
            let to = index.get(e.to.as_str()).copied();
            let mut ok = true;
            if from.is_none() {
                self.edge_diag(
                    Code::DanglingEdge,
                    k,
                    format!(
                        "the edge starts at {:?}, which is not a node of this journey",
                        e.from
                    ),
                    "/from",
                );
                ok = false;
            }
            if to.is_none() {
                self.edge_diag(
                    Code::DanglingEdge,
                    k,
                    format!(
                        "the edge leads to {:?}, which is not a node of this journey",
                        e.to
                    ),
                    "/to",
                );
                ok = false;
            }
            if let Some(f) = from {
                if let Some(ports) = j.nodes[f].ports() {
                    if !ports.contains(&e.port.as_str()) {
                        let has = if ports.is_empty() {
                            "no output ports".to_owned()
                        } else {
                            format!("ports {}", ports.join(", "))
                        };
                        self.edge_diag(
                            Code::DanglingEdge,
                            k,
                            format!("node {:?} has no port {:?} (it has {has})", e.from, e.port),
                            "/port",
                        );
                        ok = false;
                    }
                }
            }
            if let Some(t) = to {
                if j.nodes[t].kind.is_trigger() {
                    self.edge_diag(Code::TriggerInput, k, format!("the edge leads into trigger {:?}; triggers start a journey and take no input", e.to), "/to");
                    ok = false;
                }
            }
            if let Some(f) = from {
                if let Some(first) = used_ports.get(&(f, e.port.as_str())) {
                    self.edge_diag(Code::PortReused, k, format!("port {:?} of node {:?} already has edge #{first}; a port carries one edge", e.port, e.from), "/port");
                    continue;
                }
                used_ports.insert((f, e.port.as_str()), k);
            }
            if ok {
                if let (Some(f), Some(t)) = (from, to) {
                    g.add_edge(gi[f], gi[t], k);
                }
            }
        }

        // Reachability from the triggers.
        let mut reached = vec![false; j.nodes.len()];
        for &t in &triggers {
            let mut bfs = Bfs::new(&g, gi[t]);
            while let Some(n) = bfs.next(&g) {
                reached[g[n]] = true;
            }
        }
        if !triggers.is_empty() {
            for (i, n) in j.nodes.iter().enumerate() {
                if !reached[i] && !n.id.is_empty() && !dups.contains(&i) {
                    self.node_diag(
                        Code::Unreachable,
                        i,
                        format!(
                            "no trigger leads to node {:?}; connect it or delete it",
                            n.id
                        ),
                        "",
                    );
                }
            }
        }

        // Instant cycles: strongly connected components once wait nodes are removed.
        let waits: HashSet<usize> = (0..j.nodes.len())
            .filter(|&i| j.nodes[i].kind.is_wait())
            .collect();
        let instant = g.filter_map(|_, &i| (!waits.contains(&i)).then_some(i), |_, &k| Some(k));
        let mut sccs: Vec<Vec<usize>> = tarjan_scc(&instant)
            .into_iter()
            .filter(|c| c.len() > 1 || instant.edges(c[0]).any(|e| e.target() == c[0]))
            .map(|c| {
                let mut v: Vec<usize> = c.iter().map(|&n| instant[n]).collect();
                v.sort_unstable();
                v
            })
            .collect();
        sccs.sort();
        for c in sccs {
            let names: Vec<&str> = c.iter().map(|&i| j.nodes[i].id.as_str()).collect();
            self.node_diag(
                Code::InstantCycle,
                c[0],
                format!("nodes {} form a loop with no wait on it: a user would go round it forever in one instant; add a wait.delay or wait.event", names.join(" → ")),
                "",
            );
        }

        // A placement is answered synchronously: no wait between a placement trigger and the
        // first action on any path (each such wait reported once, in document order).
        let mut early_waits: Vec<(usize, usize)> = Vec::new();
        for &t in &triggers {
            if !matches!(j.nodes[t].kind, NodeKind::TriggerPlacement { .. }) {
                continue;
            }
            let mut seen = vec![false; j.nodes.len()];
            let mut stack = vec![t];
            seen[t] = true;
            while let Some(i) = stack.pop() {
                let kind = &j.nodes[i].kind;
                if kind.is_wait() {
                    if !early_waits.iter().any(|&(w, _)| w == i) {
                        early_waits.push((i, t));
                    }
                    continue;
                }
                if i != t && kind.type_name().starts_with("action.") {
                    continue;
                }
                for e in g.edges(gi[i]) {
                    let next = g[e.target()];
                    if !seen[next] {
                        seen[next] = true;
                        stack.push(next);
                    }
                }
            }
        }
        early_waits.sort_unstable();
        for (w, t) in early_waits {
            let (wid, tid) = (j.nodes[w].id.clone(), j.nodes[t].id.clone());
            self.node_diag(
                Code::PlacementWait,
                w,
                format!("wait {wid:?} comes before any action after placement trigger {tid:?}: a placement is answered at once, so put the wait after the first action"),
                "",
            );
        }

        // Offers, ports, budgets, conditions.
        let mut warned_budget = HashSet::new();
        for (i, n) in j.nodes.iter().enumerate() {
            if dups.contains(&i) {
                continue;
            }
            let connected = |port: &str| used_ports.contains_key(&(i, port));
            if let NodeKind::ActionOffer { offer } = &n.kind {
                match self.ws.offer(offer) {
                    None => self.node_diag(Code::UnknownOffer, i, format!("offer {offer:?} is not in the offer catalog"), "/params/offer"),
                    Some(o) => match &j.campaign {
                        None => self.node_diag(Code::BadParam, i, "the journey has no campaign, so no budget to issue this offer from; add a campaign with a budget".into(), "/params/offer"),
                        Some(c) => {
                            if let Some(stock) = o.stock {
                                let need = Decimal::from(stock) * o.face_value.value;
                                if need > c.budget.total.value && warned_budget.insert(offer.as_str()) {
                                    self.node_diag(
                                        Code::BudgetShort,
                                        i,
                                        format!("offer {offer:?}: stock {stock} × face value {} = {} exceeds campaign {:?}'s budget of {}; the budget runs out before the stock", o.face_value, need.normalize(), c.id, c.budget.total),
                                        "/params/offer",
                                    );
                                }
                            }
                        }
                    },
                }
            }
            let dead = dead_ports(&n.kind);
            for (port, why, at) in &dead {
                if connected(port) && !why.is_empty() {
                    self.node_diag(
                        Code::DeadBranch,
                        i,
                        format!("no user can leave by port {port:?}: {why}"),
                        at,
                    );
                }
            }
            for (cond, at) in n.kind.conditions() {
                match satisfiability(cond) {
                    Sat::Never => self.node_diag(
                        Code::NeverTrue,
                        i,
                        format!(
                            "this condition can never be true: no user can satisfy it{}",
                            match &n.kind {
                                NodeKind::Condition { .. } =>
                                    ", so the \"yes\" branch is never taken",
                                NodeKind::Switch { .. } => ", so its case is never taken",
                                NodeKind::TriggerEvent { .. }
                                | NodeKind::TriggerPattern { .. }
                                | NodeKind::TriggerSchedule { .. }
                                | NodeKind::TriggerSegment { .. }
                                | NodeKind::TriggerPlacement { .. } => ", so no user enters here",
                                _ => "",
                            }
                        ),
                        &at,
                    ),
                    Sat::Always if matches!(n.kind, NodeKind::Condition { .. }) => self.node_diag(
                        Code::AlwaysTrue,
                        i,
                        "this condition is always true, so the \"no\" branch is never taken".into(),
                        &at,
                    ),
                    _ => {}
                }
            }
            if let Some(ports) = n.ports() {
                for p in ports {
                    if !connected(p) && !dead.iter().any(|(d, _, _)| d == p) {
                        self.node_diag(Code::UnconnectedPort, i, format!("port {p:?} of node {:?} has no edge: users leaving by it exit the journey", n.id), "");
                    }
                }
            }
        }
    }
}

/// Ports no user can ever take, with the reason and a pointer suffix.
fn dead_ports(k: &NodeKind) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    match k {
        NodeKind::Condition { when } => match satisfiability(when) {
            // W_NEVER_TRUE / W_ALWAYS_TRUE already say so: reported as an empty reason.
            Sat::Never => out.push(("yes".into(), String::new(), String::new())),
            Sat::Always => out.push(("no".into(), String::new(), String::new())),
            Sat::Maybe => {}
        },
        NodeKind::Switch { cases } => {
            let mut earlier: Vec<&Condition> = Vec::new();
            for (i, c) in cases.iter().enumerate() {
                let sat = satisfiability(&c.when);
                if earlier.iter().any(|e| **e == c.when) {
                    out.push((
                        c.port.clone(),
                        "an earlier case has the same condition and wins first".into(),
                        format!("/params/cases/{i}/when"),
                    ));
                } else if sat == Sat::Never {
                    out.push((c.port.clone(), String::new(), String::new()));
                }
                if sat == Sat::Always {
                    for later in &cases[i + 1..] {
                        out.push((
                            later.port.clone(),
                            format!("case {:?} before it is always true", c.port),
                            format!("/params/cases/{i}/when"),
                        ));
                    }
                    out.push((
                        "else".into(),
                        format!("case {:?} is always true", c.port),
                        format!("/params/cases/{i}/when"),
                    ));
                    break;
                }
                earlier.push(&c.when);
            }
        }
        NodeKind::SplitRandom { branches, .. } => {
            for (i, b) in branches.iter().enumerate() {
                if b.percent.ppm == 0 {
                    out.push((
                        b.port.clone(),
                        "its percent is 0".into(),
                        format!("/params/branches/{i}/percent"),
                    ));
                }
            }
        }
        NodeKind::SplitExperiment {
            variants,
            holdout_percent,
            ..
        } => {
            for (i, b) in variants.iter().enumerate() {
                if b.percent.ppm == 0 {
                    out.push((
                        b.port.clone(),
                        "its percent is 0".into(),
                        format!("/params/variants/{i}/percent"),
                    ));
                }
            }
            if holdout_percent.is_none_or(|h| h.ppm == 0) {
                out.push((
                    "holdout".into(),
                    "holdout_percent is 0".into(),
                    "/params/holdout_percent".into(),
                ));
            }
        }
        _ => {}
    }
    out
}
