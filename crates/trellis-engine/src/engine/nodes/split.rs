//! `split.random` and `split.experiment`: the spec's SHA-256 bucket in parts per million, no
//! random numbers (the same user always takes the same branch).

use super::*;

impl Engine {
    /// The bucket's salt is the node's `salt`, or `journey:node`.
    pub(crate) fn split_random(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        branches: &[trellis_model::Branch],
        salt: Option<&str>,
    ) -> Port {
        let salt = salt.map_or_else(
            || format!("{}:{}", self.journeys[j].id, self.journeys[j].nodes[n].id),
            str::to_owned,
        );
        let b = bucket_ppm(&salt, &self.users[u].id);
        let ps: Vec<u32> = branches.iter().map(|b| b.percent.ppm).collect();
        branches[pick(b, &ps)].port.clone().into()
    }

    /// Bucketed by the experiment's id, so every journey of one experiment assigns a user
    /// alike; logs `experiment.assigned`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn split_experiment(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        experiment: &str,
        variants: &[trellis_model::Branch],
        holdout_ppm: u32,
        now: Time,
    ) -> Port {
        let b = bucket_ppm(experiment, &self.users[u].id);
        let ps: Vec<u32> = variants.iter().map(|b| b.percent.ppm).collect();
        let port = match pick_experiment(b, holdout_ppm, &ps) {
            None => "holdout".to_owned(),
            Some(i) => variants[i].port.clone(),
        };
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            DecisionKind::ExperimentAssigned {
                experiment: experiment.into(),
                variant: Cow::Borrowed(&port),
            },
        );
        self.assign_experiment(u, j, experiment, variants, holdout_ppm, &port, now);
        port.into()
    }
}
