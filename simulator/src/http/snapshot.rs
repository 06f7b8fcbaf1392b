//! Event payloads: each layer renders the TMF JSON of what it holds.

use serde_json::Value;

use crate::layers::Subject;
use crate::layers::activation::ActivationLayer;
use crate::layers::com::ComLayer;
use crate::layers::inventory::InventoryLayer;
use crate::layers::rom::RomLayer;
use crate::layers::som::SomLayer;
use crate::network::NetworkLayer;
use crate::runtime::{Snapshot, WallClock};

macro_rules! no_snapshot {
    ($($layer:ty),*) => {$(
        impl Snapshot for $layer {
            fn snapshot(&self, _subject: &Subject, _clock: &WallClock) -> Option<Value> {
                None
            }
        }
    )*};
}

no_snapshot!(
    ComLayer,
    SomLayer,
    RomLayer,
    ActivationLayer,
    NetworkLayer,
    InventoryLayer
);
