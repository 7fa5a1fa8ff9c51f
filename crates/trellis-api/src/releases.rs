//! Releases and their lifecycle: submit, list and read, review (approve or reject), deploy,
//! rollback, and the live journeys.

use crate::params::{DeployParams, ReleasesQuery, ReviewParams, SubmitParams};
use crate::{now_utc, random_token, wire, ApiError, Code, Principal, Result, Role, Service};
use serde_json::{json, Value};
use trellis_engine::ts_string;
use trellis_store::NewInput;

/// What became of each release deployed live, from the deployment rows in order: `deployed`
/// while it is the live version of one of its journeys, else `rolled_back` when a rollback took
/// it off last, else `superseded` (a newer release took its place). The stack per journey is
/// the engine's: a deploy of a new version pushes, a deploy of the current one only changes its
/// rollout, a rollback pops.
pub fn deployment_states(
    deps: &[trellis_store::DeploymentRow],
) -> std::collections::HashMap<String, &'static str> {
    use std::collections::HashMap;
    let mut stacks: HashMap<&str, Vec<(i64, &str)>> = HashMap::new();
    let mut off: HashMap<&str, &'static str> = HashMap::new();
    for d in deps.iter().filter(|d| d.mode == "live") {
        let stack = stacks.entry(d.journey.as_str()).or_default();
        match d.action.as_str() {
            "rollback" | "guardrail_rollback" => {
                if let Some((_, r)) = stack.pop() {
                    off.insert(r, "rolled_back");
                }
            }
            _ if stack.last().is_some_and(|t| t.0 == d.version) => {}
            _ => {
                if let Some(&(_, r)) = stack.last() {
                    off.insert(r, "superseded");
                }
                stack.push((d.version, d.release_id.as_str()));
            }
        }
    }
    let mut states: HashMap<String, &'static str> =
        off.into_iter().map(|(r, s)| (r.to_owned(), s)).collect();
    for stack in stacks.values() {
        if let Some(&(_, r)) = stack.last() {
            states.insert(r.to_owned(), "deployed");
        }
    }
    states
}

/// A deployment row's mode.
fn deploy_mode(d: &trellis_store::DeploymentRow) -> Result<wire::DeployMode> {
    wire::DeployMode::parse(&d.mode).ok_or_else(|| {
        ApiError::new(
            Code::Internal,
            format!(
                "a deployment of {} has an unknown mode {:?}",
                d.journey, d.mode
            ),
        )
    })
}
impl Service {
    pub async fn submit_release(
        &self,
        who: &Principal,
        p: SubmitParams,
    ) -> Result<wire::SubmitResult> {
        who.require(Role::Operator)?;
        let SubmitParams {
            workspace: ws_value,
            summary,
        } = p;
        let (ws, diags) = trellis_graph::validate_value(&ws_value);
        let diag_json = serde_json::to_value(&diags).unwrap_or(Value::Null);
        let errors = diags.iter().filter(|d| d.is_error()).count();
        let Some(ws) = ws.filter(|_| errors == 0) else {
            let first = diags.iter().find(|d| d.is_error());
            let mut e = ApiError::new(
                Code::Validation,
                format!(
                    "the workspace has {errors} validation error(s); the first: {}",
                    first.map_or(String::new(), |d| d.message.clone())
                ),
            )
            .at(first.and_then(|d| d.path.clone()).unwrap_or_default());
            e.diagnostics = Some(Box::new(diag_json));
            return Err(e);
        };
        let journeys: Vec<&str> = ws.journeys.iter().map(|j| j.id.as_str()).collect();
        let id = format!("rel_{}", &random_token().unwrap_or_default()[4..20]);
        let version = self
            .store
            .insert_release(&trellis_store::NewRelease {
                id: &id,
                author: &who.name,
                workspace: &ws_value.to_string(),
                journeys: &json!(journeys).to_string(),
                diagnostics: &diag_json.to_string(),
                summary: summary.map(|s| s.to_string()).as_deref(),
                at: &ts_string(now_utc()),
            })
            .await?;
        Ok(wire::SubmitResult {
            release: id,
            version,
            status: wire::ReleaseStatus::PendingReview,
            diagnostics: diags,
        })
    }

    fn release_summary(
        r: &trellis_store::ReleaseRow,
        states: &std::collections::HashMap<String, &'static str>,
    ) -> Result<wire::ReleaseSummary> {
        // An approved release shows what became of it once deployed live.
        let status = match states.get(&r.id) {
            Some(s) if r.status == "approved" => s,
            _ => r.status.as_str(),
        };
        Ok(wire::ReleaseSummary {
            release: r.id.clone(),
            version: r.version,
            status: wire::ReleaseStatus::parse(status).ok_or_else(|| {
                ApiError::new(
                    Code::Internal,
                    format!("release {} has an unknown status {status:?}", r.id),
                )
            })?,
            author: r.author.clone(),
            created_at: r.created_at.clone(),
            journeys: serde_json::from_str(&r.journeys).unwrap_or_default(),
        })
    }

    pub async fn release(&self, id: &str) -> Result<wire::ReleaseDetail> {
        let Some(r) = self.store.release(id).await? else {
            return Err(ApiError::new(Code::NotFound, format!("no release {id:?}")).at("id"));
        };
        let reviews: Vec<wire::Review> = self
            .store
            .reviews(id)
            .await?
            .into_iter()
            .map(|r| wire::Review {
                reviewer: r.reviewer,
                decision: r.verdict,
                comment: r.comment,
                at: r.at,
            })
            .collect();
        let deps = self.store.deployments().await?;
        let states = deployment_states(&deps);
        let deployments = deps
            .into_iter()
            .filter(|d| d.release_id == id)
            .map(|d| {
                Ok(wire::Deployment {
                    mode: deploy_mode(&d)?,
                    journey: d.journey,
                    version: d.version,
                    rollout_percent: d.rollout_percent,
                    action: d.action,
                    by: d.actor,
                    at: d.at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(wire::ReleaseDetail {
            head: Self::release_summary(&r, &states)?,
            workspace: serde_json::from_str(&r.workspace).unwrap_or(Value::Null),
            diagnostics: serde_json::from_str(&r.diagnostics).unwrap_or(Value::Null),
            summary: r
                .summary
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            reviews,
            deployments,
            note: "Versions are immutable. Users already inside a journey finish on the version they entered; new entrants follow the rollout.".to_owned(),
        })
    }

    /// The releases, newest first; `status` filters on the status shown (`deployed`,
    /// `superseded` and `rolled_back` are what became of an approved release).
    pub async fn releases(&self, q: ReleasesQuery) -> Result<wire::ReleaseList> {
        let status = q.status.as_deref();
        let rows = self.store.releases(None).await?;
        let states = deployment_states(&self.store.deployments().await?);
        let mut list = Vec::new();
        for r in &rows {
            let r = Self::release_summary(r, &states)?;
            if status.is_none_or(|s| r.status.as_str() == s) {
                list.push(r);
            }
        }
        Ok(wire::ReleaseList { releases: list })
    }

    pub async fn review(
        &self,
        who: &Principal,
        id: &str,
        approve: bool,
        p: ReviewParams,
    ) -> Result<wire::ReviewResult> {
        who.require(Role::Approver)?;
        let comment = p.comment.as_deref().unwrap_or("");
        let Some(r) = self.store.release(id).await? else {
            return Err(ApiError::new(Code::NotFound, format!("no release {id:?}")).at("id"));
        };
        if approve && r.author == who.name {
            return Err(ApiError::new(
                Code::SelfApproval,
                format!(
                    "{} wrote release {id} and cannot approve it; another approver must",
                    who.name
                ),
            ));
        }
        let verdict = if approve { "approve" } else { "reject" };
        if !self
            .store
            .review(id, &who.name, verdict, comment, &ts_string(now_utc()))
            .await?
        {
            return Err(ApiError::new(
                Code::Conflict,
                format!("release {id} is {}, not pending review", r.status),
            ));
        }
        Ok(wire::ReviewResult {
            release: id.to_owned(),
            status: if approve {
                wire::ReleaseStatus::Approved
            } else {
                wire::ReleaseStatus::Rejected
            },
        })
    }
}
impl Service {
    pub async fn deploy(
        &self,
        who: &Principal,
        id: &str,
        p: DeployParams,
    ) -> Result<wire::DeployResult> {
        who.require(Role::Approver)?;
        let (percent, mode) = (p.rollout_percent, p.mode.as_str());
        let Some(r) = self.store.release(id).await? else {
            return Err(ApiError::new(Code::NotFound, format!("no release {id:?}")).at("id"));
        };
        if r.status != "approved" {
            return Err(ApiError::new(
                Code::NotApproved,
                format!(
                    "release {id} is {}; only approved releases deploy",
                    r.status
                ),
            ));
        }
        let ws: Value = serde_json::from_str(&r.workspace).unwrap_or(Value::Null);
        let mut body = json!({ "release": id, "version": r.version, "rollout_percent": percent, "mode": mode, "actor": who.name, "workspace": ws });
        if !p.guardrails.is_empty() {
            let rules: Vec<trellis_engine::Guardrail> =
                p.guardrails.iter().map(|g| g.rule()).collect();
            body["guardrails"] = serde_json::to_value(rules).unwrap_or_default();
        }
        self.apply_and_wait(NewInput {
            kind: "deploy".into(),
            ikey: None,
            body: body.to_string(),
            trace_id: Some(who.trace_id()),
        })
        .await?;
        Ok(wire::DeployResult {
            release: id.to_owned(),
            version: r.version,
            rollout_percent: percent,
            mode: p.mode,
        })
    }

    pub async fn rollback(&self, who: &Principal, journey: &str) -> Result<wire::RollbackResult> {
        who.require(Role::Approver)?;
        let deps = self.store.deployments().await?;
        if !deps.iter().any(|d| d.journey == journey) {
            return Err(ApiError::new(
                Code::NotFound,
                format!("journey {journey:?} was never deployed"),
            )
            .at("id"));
        }
        // The deployment stack as the engine keeps it: a deploy pushes (or changes the rollout
        // of the current version), a rollback pops.
        let mut stack: Vec<(i64, String)> = Vec::new();
        for d in deps
            .iter()
            .filter(|d| d.journey == journey && d.mode == "live")
        {
            match d.action.as_str() {
                "rollback" | "guardrail_rollback" => {
                    stack.pop();
                }
                _ if stack.last().is_some_and(|t| t.0 == d.version) => {}
                _ => stack.push((d.version, d.release_id.clone())),
            }
        }
        let Some((_, release)) = stack.len().checked_sub(2).map(|i| stack[i].clone()) else {
            return Err(ApiError::new(
                Code::NoPrevious,
                format!("journey {journey:?} has no earlier version to roll back to"),
            ));
        };
        let v = self
            .apply_and_wait(NewInput {
                kind: "rollback".into(),
                ikey: None,
                body: json!({ "journey": journey, "actor": who.name, "release": release })
                    .to_string(),
                trace_id: Some(who.trace_id()),
            })
            .await?;
        Ok(wire::RollbackResult {
            journey: journey.to_owned(),
            version: v["version"].as_i64(),
        })
    }

    pub async fn journeys(&self) -> Result<wire::JourneyList> {
        let deps = self.store.deployments().await?;
        let mut by: std::collections::BTreeMap<String, Vec<&trellis_store::DeploymentRow>> =
            Default::default();
        for d in &deps {
            by.entry(d.journey.clone()).or_default().push(d);
        }
        let mut out = Vec::new();
        for (j, rows) in by {
            let last = rows[rows.len() - 1];
            // The release of the live version (a rollback row names the version it restored).
            let release = rows
                .iter()
                .rev()
                .find(|d| d.version == last.version && d.action == "deploy")
                .map(|d| d.release_id.clone());
            let previous = rows
                .iter()
                .rev()
                .map(|d| d.version)
                .find(|v| *v != last.version);
            out.push(wire::LiveJourney {
                id: j,
                version: last.version,
                release,
                rollout_percent: last.rollout_percent,
                mode: deploy_mode(last)?,
                deployed_at: last.at.clone(),
                previous_version: previous,
                last_action: last.action.clone(),
            });
        }
        Ok(wire::JourneyList { journeys: out })
    }
}
