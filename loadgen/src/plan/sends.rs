//! The one schedule: when each send of a load is due, as an offset from the start of the load,
//! for either clock. The open model walks its [`Schedule`] index by index up to `orders_max`;
//! the closed model hands each user its next send (`think_time` after its last order ended)
//! while the load lasts and the order budget holds. The wall-clock driver sleeps until a due
//! offset, the virtual-time driver puts it on its agenda; neither decides on its own when a
//! send is due.

use std::time::Duration;

use crate::plan::scenario::LoadModel;
use crate::plan::schedule::Schedule;

/// When sends are due.
#[derive(Clone, Debug)]
pub struct SendPlan {
    model: Model,
    /// Sends handed out so far.
    taken: u64,
    /// Most sends (`orders_max`, or the open schedule's length).
    limit: u64,
}

#[derive(Clone, Debug)]
enum Model {
    Open(Schedule),
    Closed {
        users: u32,
        think_time: Duration,
        duration: Duration,
    },
}

impl SendPlan {
    /// The plan of `model`, making at most `orders_max` sends.
    pub fn new(model: &LoadModel, orders_max: Option<u64>) -> SendPlan {
        let limit = orders_max.unwrap_or(u64::MAX);
        match model {
            LoadModel::Open { schedule } => SendPlan {
                model: Model::Open(schedule.clone()),
                taken: 0,
                limit: schedule.sends_total().min(limit),
            },
            LoadModel::Closed {
                users,
                think_time,
                duration,
            } => SendPlan {
                model: Model::Closed {
                    users: *users,
                    think_time: *think_time,
                    duration: *duration,
                },
                taken: 0,
                limit,
            },
        }
    }

    /// When the load ends (no send is due at or after it).
    pub fn end(&self) -> Duration {
        match &self.model {
            Model::Open(schedule) => schedule.duration(),
            Model::Closed { duration, .. } => *duration,
        }
    }

    /// The sends the open model will make; `None` for the closed model.
    pub fn scheduled(&self) -> Option<u64> {
        matches!(self.model, Model::Open(_)).then_some(self.limit)
    }

    /// The closed model's users (0 for the open model).
    pub fn users(&self) -> u32 {
        match &self.model {
            Model::Open(_) => 0,
            Model::Closed { users, .. } => *users,
        }
    }

    /// Sends handed out so far.
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// The open model's next send: its due offset, or `None` when the schedule is done (and
    /// always for the closed model).
    pub fn next_open(&mut self) -> Option<Duration> {
        let Model::Open(schedule) = &self.model else {
            return None;
        };
        if self.taken >= self.limit {
            return None;
        }
        let due = schedule.intended_offset(self.taken)?;
        self.taken += 1;
        Some(due)
    }

    /// A closed-model user's next send, due `think_time` after `ended` (its last order's end;
    /// `None` for its first): `None` when that is past the end of the load or the budget is
    /// spent (and always for the open model).
    pub fn next_for_user(&mut self, ended: Option<Duration>) -> Option<Duration> {
        let Model::Closed {
            think_time,
            duration,
            ..
        } = &self.model
        else {
            return None;
        };
        let due = ended.map_or(Duration::ZERO, |ended| ended + *think_time);
        if due >= *duration || self.taken >= self.limit {
            return None;
        }
        self.taken += 1;
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_plan_walks_its_schedule_up_to_orders_max() {
        let schedule = Schedule::constant(10.0, Duration::from_secs(1)).expect("schedule");
        let model = LoadModel::Open { schedule };
        let mut plan = SendPlan::new(&model, Some(3));
        assert_eq!(plan.scheduled(), Some(3));
        let due: Vec<Duration> = std::iter::from_fn(|| plan.next_open()).collect();
        assert_eq!(due, [0, 100, 200].map(Duration::from_millis));
        assert_eq!(plan.next_for_user(None), None);
    }

    #[test]
    fn a_closed_user_thinks_and_stops_at_the_end_or_the_budget() {
        let model = LoadModel::Closed {
            users: 2,
            think_time: Duration::from_secs(1),
            duration: Duration::from_secs(3),
        };
        let mut plan = SendPlan::new(&model, Some(3));
        assert_eq!(plan.next_for_user(None), Some(Duration::ZERO));
        let ended = Some(Duration::from_millis(500));
        assert_eq!(plan.next_for_user(ended), Some(Duration::from_millis(1500)));
        assert_eq!(
            plan.next_for_user(Some(Duration::from_secs(2))),
            None,
            "past the end"
        );
        assert_eq!(plan.next_for_user(None), Some(Duration::ZERO));
        assert_eq!(plan.next_for_user(None), None, "budget spent");
        assert_eq!((plan.taken(), plan.next_open()), (3, None));
    }
}
