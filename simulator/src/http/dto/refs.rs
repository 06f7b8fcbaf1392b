//! The TMF v4 shapes every renderer shares: a reference to another entity ([`EntityRef`]) and
//! a characteristic ([`CharacteristicJson`]). Defined once, as serde types, so that every API
//! spells them alike and a renderer states its resource as a struct rather than building
//! JSON by hand.

use serde::Serialize;
use serde_json::Value;

use crate::layers::attributes::Text;
use crate::layers::common;

/// A TMF reference (`*Ref`, `RelatedEntity`, `RelatedParty`): the referred entity's `id`,
/// and its `href`, `name`, `role` and `@referredType` when known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityRef {
    /// The referred entity's id.
    pub id: String,
    /// Its absolute URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The role it plays for the referring entity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    /// Its TMF class.
    #[serde(rename = "@referredType", skip_serializing_if = "Option::is_none")]
    pub referred_type: Option<&'static str>,
}

impl EntityRef {
    /// A reference to `id` at `href`.
    pub fn new(id: impl Into<String>, href: Option<String>) -> EntityRef {
        EntityRef {
            id: id.into(),
            href,
            ..EntityRef::default()
        }
    }

    /// The same reference, naming the entity.
    pub fn named(self, name: impl Into<String>) -> EntityRef {
        EntityRef {
            name: Some(name.into()),
            ..self
        }
    }

    /// The same reference, with the role the entity plays.
    pub fn role(self, role: &'static str) -> EntityRef {
        EntityRef {
            role: Some(role),
            ..self
        }
    }

    /// The same reference, with the entity's TMF class.
    pub fn referred(self, referred_type: &'static str) -> EntityRef {
        EntityRef {
            referred_type: Some(referred_type),
            ..self
        }
    }
}

/// A TMF `Characteristic`: a name, the type of its value when the client gave one, and the
/// value as the client sent it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CharacteristicJson<'a> {
    /// Its name.
    pub name: &'a str,
    /// The type of its value (`valueType`), as the client wrote it.
    #[serde(rename = "valueType", skip_serializing_if = "Option::is_none")]
    pub value_type: Option<&'a str>,
    /// Its value.
    pub value: &'a Value,
}

/// `list` as TMF characteristics, `types` giving each one's `valueType` by position (empty
/// when none has one).
pub fn characteristics<'a>(
    list: &'a [common::Characteristic],
    types: &'a [Option<Text>],
) -> Vec<CharacteristicJson<'a>> {
    let entry = |(index, c): (usize, &'a common::Characteristic)| CharacteristicJson {
        name: &c.name,
        value_type: types.get(index).and_then(Option::as_deref),
        value: &c.value,
    };
    list.iter().enumerate().map(entry).collect()
}
