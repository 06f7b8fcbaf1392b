//! The recorded state history of an order, item or activation service, packed: each (time,
//! state) step is one `u64` (microseconds in the high 56 bits, the state's code in the low 8),
//! and the first `N` steps live inline, so an entity on its usual path owns no heap vector for
//! its history. A virtual hour creates about nine histories per order; keeping them inline
//! removes as many allocations and frees per order. The audit replays these histories.

use serde::{Serialize, Serializer};

use crate::domain::state::{OrderState, ServiceState};
use crate::domain::time::Time;

/// A state that fits a history step: a code below 256 and back.
pub trait HistoryState: Copy {
    /// Its code (its position in the state's `ALL` list).
    fn code(self) -> u8;
    /// The state with `code`, if any.
    fn from_code(code: u8) -> Option<Self>;
}

impl HistoryState for OrderState {
    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> Option<Self> {
        OrderState::ALL.get(usize::from(code)).copied()
    }
}

impl HistoryState for ServiceState {
    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> Option<Self> {
        ServiceState::ALL.get(usize::from(code)).copied()
    }
}

/// The latest time a step can hold (2^56 - 1 µs, about 2,283 years); later times are clamped.
const MICROS_MAX: u64 = (1 << 56) - 1;

/// The states an entity passed through, with when, oldest first; the first is the initial
/// state. The first `N` steps are stored inline, later ones in a vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateHistory<S, const N: usize> {
    inline: [u64; N],
    len: usize,
    spill: Vec<u64>,
    state: std::marker::PhantomData<S>,
}

impl<S: HistoryState, const N: usize> Default for StateHistory<S, N> {
    fn default() -> Self {
        StateHistory {
            inline: [0; N],
            len: 0,
            spill: Vec::new(),
            state: std::marker::PhantomData,
        }
    }
}

impl<S: HistoryState, const N: usize> StateHistory<S, N> {
    /// A history that starts in `state` at `now`.
    pub fn starting(state: S, now: Time) -> Self {
        let mut history = Self::default();
        history.push(now, state);
        history
    }

    /// Records that the entity entered `state` at `now`.
    pub fn push(&mut self, now: Time, state: S) {
        let step = (now.as_micros().min(MICROS_MAX) << 8) | u64::from(state.code());
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = step,
            None => self.spill.push(step),
        }
        self.len += 1;
    }

    /// How many steps it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no step.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The steps, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (Time, S)> + '_ {
        let inline = self.inline.get(..self.len.min(N)).unwrap_or(&[]);
        inline
            .iter()
            .chain(&self.spill)
            .filter_map(|step| unpack(*step))
    }

    /// The latest step.
    pub fn last(&self) -> Option<(Time, S)> {
        let step = match self.spill.last() {
            Some(step) => *step,
            None => *self.inline.get(self.len.checked_sub(1)?)?,
        };
        unpack(step)
    }
}

impl<const N: usize> StateHistory<OrderState, N> {
    /// The current state (acknowledged for an empty history).
    pub fn current(&self) -> OrderState {
        self.last()
            .map(|(_, state)| state)
            .unwrap_or(OrderState::Acknowledged)
    }
}

fn unpack<S: HistoryState>(step: u64) -> Option<(Time, S)> {
    let code = u8::try_from(step & 0xff).ok()?;
    Some((Time::from_micros(step >> 8), S::from_code(code)?))
}

impl<S: HistoryState, const N: usize> FromIterator<(Time, S)> for StateHistory<S, N> {
    fn from_iter<I: IntoIterator<Item = (Time, S)>>(steps: I) -> Self {
        let mut history = Self::default();
        for (at, state) in steps {
            history.push(at, state);
        }
        history
    }
}

impl<S: HistoryState + Serialize, const N: usize> Serialize for StateHistory<S, N> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        serializer.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_every_state() {
        for state in OrderState::ALL {
            assert_eq!(OrderState::from_code(state.code()), Some(state));
        }
        for state in ServiceState::ALL {
            assert_eq!(ServiceState::from_code(state.code()), Some(state));
        }
    }

    #[test]
    fn steps_past_the_inline_room_spill_in_order() {
        let states = [
            ServiceState::FeasibilityChecked,
            ServiceState::Reserved,
            ServiceState::Inactive,
            ServiceState::Active,
            ServiceState::Terminated,
        ];
        let mut history = StateHistory::<ServiceState, 2>::default();
        assert!(history.is_empty());
        assert_eq!(history.last(), None);
        for (index, state) in states.into_iter().enumerate() {
            history.push(Time::from_millis(index as u64 * 7), state);
            assert_eq!(
                history.last(),
                Some((Time::from_millis(index as u64 * 7), state))
            );
        }
        assert_eq!(history.len(), 5);
        let steps: Vec<_> = history.iter().collect();
        let expected: Vec<_> = (0..5u64)
            .map(|index| Time::from_millis(index * 7))
            .zip(states)
            .collect();
        assert_eq!(steps, expected);
    }

    #[test]
    fn current_is_the_latest_state_and_late_times_clamp() {
        let mut history =
            StateHistory::<OrderState, 3>::starting(OrderState::Acknowledged, Time::ZERO);
        assert_eq!(history.current(), OrderState::Acknowledged);
        history.push(Time::from_micros(u64::MAX), OrderState::Completed);
        assert_eq!(history.current(), OrderState::Completed);
        assert_eq!(
            history.last().map(|(at, _)| at),
            Some(Time::from_micros(MICROS_MAX))
        );
    }
}
