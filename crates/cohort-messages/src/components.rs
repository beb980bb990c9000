//! The wire structs of draft-ietf-mls-extensions (the editors' copy after -09): application
//! components and their IDs, the `app_data_dictionary` extension, the AppDataUpdate and
//! AppEphemeral proposal bodies, Safe AAD, wire-format negotiation, content advertisement and
//! last-resort KeyPackages.
//!
//! The draft is not an RFC yet: its code points are the "suggested" values, which OpenMLS 0.9
//! uses as well.

use cohort_codec::{CodecError, Decode, Encode, Reader, VarBytes};
use cohort_tree::extension::ExtensionType;

use crate::extensions::ExtensionPayload;
use crate::message::WireFormat;

/// A component ID (draft "Component IDs"): names one application component, from the "MLS
/// Component Types" registry or the private-use range `0x8000..=0xFFFF`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct ComponentId(pub u16);

impl ComponentId {
    /// `app_components(1)`: in a LeafNode the components a client supports, in the
    /// GroupContext those every member must support.
    pub const APP_COMPONENTS: Self = Self(1);
    /// `safe_aad(2)`: in a LeafNode the Safe AAD components a client supports; in the
    /// GroupContext, those required, and that `authenticated_data` is a [`SafeAad`].
    pub const SAFE_AAD: Self = Self(2);
    /// `content_media_types(3)`: the media types a client accepts (LeafNode) or every member
    /// must accept (GroupContext, which also turns on [`ApplicationFraming`]).
    pub const CONTENT_MEDIA_TYPES: Self = Self(3);
    /// `last_resort_key_package(4)`: marks a KeyPackage as one of last resort (empty data).
    pub const LAST_RESORT_KEY_PACKAGE: Self = Self(4);
    /// `app_ack(5)`: an AppAck carried in an AppEphemeral proposal.
    pub const APP_ACK: Self = Self(5);

    /// Whether this is one of the draft's GREASE values (`0x0A0A`, `0x1A1A`, ... `0x7A7A`),
    /// which receivers ignore.
    pub fn is_grease(self) -> bool {
        let [hi, lo] = self.0.to_be_bytes();
        lo == hi && hi & 0x0F == 0x0A && hi >> 4 <= 7
    }

    /// Whether this is in the private-use range (`0x8000..=0xFFFF`).
    pub fn is_private_use(self) -> bool {
        self.0 >= 0x8000
    }
}

/// `ComponentOperationLabel` (draft "Component IDs"): the label the safe HPKE and signature
/// operations pass to `EncryptWithLabel` and `SignWithLabel` in place of an MLS label.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ComponentOperationLabel {
    /// Always [`ComponentOperationLabel::BASE_LABEL`].
    pub base_label: VarBytes,
    /// The component performing the operation.
    pub component_id: ComponentId,
    /// The operation.
    pub label: VarBytes,
}

impl ComponentOperationLabel {
    /// The fixed `base_label`.
    pub const BASE_LABEL: &'static [u8] = b"MLS Component";

    /// The label of operation `label` of `component_id`.
    pub fn new(component_id: ComponentId, label: &[u8]) -> Self {
        Self {
            base_label: VarBytes::from(Self::BASE_LABEL.to_vec()),
            component_id,
            label: VarBytes::from(label.to_vec()),
        }
    }

    /// The encoded label, the byte string the labeled operations take.
    ///
    /// # Errors
    /// [`CodecError::VectorTooLong`] for a label of 2^30 bytes or more.
    pub fn encoded(component_id: ComponentId, label: &[u8]) -> Result<Vec<u8>, CodecError> {
        Self::new(component_id, label).to_bytes()
    }
}

/// `ComponentData` (draft "Attaching Application Data to MLS Messages"): one component's entry
/// of an [`AppDataDictionary`].
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ComponentData {
    /// The component.
    pub component_id: ComponentId,
    /// Its data, whose format the component defines.
    pub data: VarBytes,
}

/// `AppDataDictionary`, the body of the `app_data_dictionary` extension: application data by
/// component, sorted by component ID with at most one entry each.
///
/// Decoding checks the order ([`CodecError::InvalidValue`] when an entry is out of order or
/// repeated), so a dictionary in hand is always well formed; the mutators keep it so.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppDataDictionary {
    entries: Vec<ComponentData>,
}

impl AppDataDictionary {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entries, sorted by component ID.
    pub fn entries(&self) -> &[ComponentData] {
        &self.entries
    }

    /// The data of `component_id`, if it has an entry.
    pub fn get(&self, component_id: ComponentId) -> Option<&[u8]> {
        self.position(component_id)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|e| e.data.as_slice())
    }

    /// Sets the data of `component_id`, inserting an entry in order or replacing its data.
    pub fn insert(&mut self, component_id: ComponentId, data: Vec<u8>) {
        let data = VarBytes::from(data);
        match self.position(component_id) {
            Ok(i) => {
                if let Some(e) = self.entries.get_mut(i) {
                    e.data = data;
                }
            }
            Err(i) => self.entries.insert(i, ComponentData { component_id, data }),
        }
    }

    /// Removes the entry of `component_id`, returning its data.
    pub fn remove(&mut self, component_id: ComponentId) -> Option<Vec<u8>> {
        let i = self.position(component_id).ok()?;
        Some(self.entries.remove(i).data.to_vec())
    }

    /// Whether the dictionary has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The [`ComponentsList`] stored at `component_id` (`app_components`, `safe_aad`), if any.
    ///
    /// # Errors
    /// A decode error when the entry is not a `ComponentsList`.
    pub fn components_list(
        &self,
        component_id: ComponentId,
    ) -> Result<Option<ComponentsList>, CodecError> {
        self.get(component_id)
            .map(ComponentsList::from_bytes)
            .transpose()
    }

    /// The data of `component_id` in the encoded dictionary `body` (an `app_data_dictionary`
    /// extension's data), read in place: no copy of the dictionary is made, which is what a
    /// check run on every message needs. `None` when the component has no entry, or `body` is
    /// not a dictionary's encoding.
    pub fn entry_in(body: &[u8], component_id: ComponentId) -> Option<&[u8]> {
        let mut r = Reader::new(body);
        let mut entries = r.sub_reader().ok()?;
        while !entries.is_empty() {
            let id = ComponentId::decode(&mut entries).ok()?;
            let data = entries.read_opaque().ok()?;
            if id == component_id {
                return Some(data);
            }
        }
        None
    }

    fn position(&self, component_id: ComponentId) -> Result<usize, usize> {
        self.entries
            .binary_search_by_key(&component_id, |e| e.component_id)
    }
}

impl Encode for AppDataDictionary {
    fn encoded_len(&self) -> usize {
        self.entries.encoded_len()
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.entries.encode(out)
    }
}

impl Decode for AppDataDictionary {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self {
            entries: decode_sorted(
                reader,
                |e: &ComponentData| e.component_id,
                "AppDataDictionary",
            )?,
        })
    }
}

impl ExtensionPayload for AppDataDictionary {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::APP_DATA_DICTIONARY;
}

/// A vector of `T`s whose component IDs (`key`) are strictly increasing, as the draft requires
/// of dictionaries and Safe AAD; any other order is refused.
fn decode_sorted<T: Decode>(
    reader: &mut Reader<'_>,
    key: impl Fn(&T) -> ComponentId,
    what: &'static str,
) -> Result<Vec<T>, CodecError> {
    let items: Vec<T> = Decode::decode(reader)?;
    if !strictly_increasing(items.iter().map(key)) {
        return Err(CodecError::InvalidValue {
            what,
            reason: "entries must be sorted by component_id, at most one per component",
        });
    }
    Ok(items)
}

/// Whether `ids` is strictly increasing (sorted, no repeats).
fn strictly_increasing(ids: impl Iterator<Item = ComponentId>) -> bool {
    let mut last = None;
    for id in ids {
        if last.is_some_and(|l| l >= id) {
            return false;
        }
        last = Some(id);
    }
    true
}

/// `ComponentsList` (draft "Negotiating Extensions and Components"): the body of the
/// `app_components` and `safe_aad` components.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct ComponentsList {
    /// The component IDs.
    pub component_ids: Vec<ComponentId>,
}

impl ComponentsList {
    /// Whether `component_id` is listed.
    pub fn contains(&self, component_id: ComponentId) -> bool {
        self.component_ids.contains(&component_id)
    }
}

/// `AppDataUpdateOperation` with its body (draft "Updating Application Data in the
/// GroupContext").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppDataOperation {
    /// `update(1)`: the update the component's application logic turns into its new data.
    Update(VarBytes),
    /// `remove(2)`: remove the component's entry.
    Remove,
}

/// `AppDataUpdate`, the body of the AppDataUpdate proposal: one change to a component's entry
/// of the GroupContext's `app_data_dictionary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppDataUpdate {
    /// The component whose entry changes.
    pub component_id: ComponentId,
    /// The change.
    pub op: AppDataOperation,
}

impl Encode for AppDataUpdate {
    fn encoded_len(&self) -> usize {
        3 + match &self.op {
            AppDataOperation::Update(u) => u.encoded_len(),
            AppDataOperation::Remove => 0,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.component_id.encode(out)?;
        match &self.op {
            AppDataOperation::Update(u) => {
                out.push(1);
                u.encode(out)
            }
            AppDataOperation::Remove => {
                out.push(2);
                Ok(())
            }
        }
    }
}

impl Decode for AppDataUpdate {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        let component_id = ComponentId::decode(reader)?;
        let op = match u8::decode(reader)? {
            1 => AppDataOperation::Update(VarBytes::decode(reader)?),
            2 => AppDataOperation::Remove,
            value => {
                return Err(CodecError::UnknownEnum {
                    what: "AppDataUpdateOperation",
                    value: value.into(),
                });
            }
        };
        Ok(Self { component_id, op })
    }
}

/// `AppEphemeral`, the body of the AppEphemeral proposal (draft "Attaching Application Data to
/// a Commit"): data for a component, delivered with the commit that covers it.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct AppEphemeral {
    /// The component the data is for.
    pub component_id: ComponentId,
    /// The data.
    pub data: VarBytes,
}

/// `SafeAADItem` (draft "Safe Additional Authenticated Data").
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct SafeAadItem {
    /// The component the item belongs to.
    pub component_id: ComponentId,
    /// Its data.
    pub aad_item_data: VarBytes,
}

/// `SafeAAD`: the framing of `authenticated_data` in a group whose GroupContext has the
/// `safe_aad` component. Items are sorted by component ID; decoding refuses any other order
/// (and a repeated component).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafeAad {
    items: Vec<SafeAadItem>,
}

impl SafeAad {
    /// The AAD of `items`, sorted by component ID.
    ///
    /// # Errors
    /// [`CodecError::InvalidValue`] when a component appears twice.
    pub fn new(mut items: Vec<SafeAadItem>) -> Result<Self, CodecError> {
        items.sort_by_key(|i| i.component_id);
        if !strictly_increasing(items.iter().map(|i| i.component_id)) {
            return Err(CodecError::InvalidValue {
                what: "SafeAAD",
                reason: "a component appears twice",
            });
        }
        Ok(Self { items })
    }

    /// The items, sorted by component ID.
    pub fn items(&self) -> &[SafeAadItem] {
        &self.items
    }

    /// The item of `component_id`.
    pub fn get(&self, component_id: ComponentId) -> Option<&[u8]> {
        self.items
            .iter()
            .find(|i| i.component_id == component_id)
            .map(|i| i.aad_item_data.as_slice())
    }
}

impl Encode for SafeAad {
    fn encoded_len(&self) -> usize {
        self.items.encoded_len()
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.items.encode(out)
    }
}

impl Decode for SafeAad {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self {
            items: decode_sorted(reader, |i: &SafeAadItem| i.component_id, "SafeAAD")?,
        })
    }
}

/// `WireFormats` as the `supported_wire_formats` LeafNode extension: the non-default wire
/// formats a client supports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct SupportedWireFormats {
    /// The wire formats.
    pub wire_formats: Vec<WireFormat>,
}

/// `WireFormats` as the `required_wire_formats` GroupContext extension: the non-default wire
/// formats every member must support.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct RequiredWireFormats {
    /// The wire formats.
    pub wire_formats: Vec<WireFormat>,
}

impl ExtensionPayload for SupportedWireFormats {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::SUPPORTED_WIRE_FORMATS;
}

impl ExtensionPayload for RequiredWireFormats {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::REQUIRED_WIRE_FORMATS;
}

/// `Parameter` of a [`MediaType`] (draft "Content Advertisement").
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct MediaTypeParameter {
    /// The parameter's name, e.g. `charset`.
    pub parameter_name: VarBytes,
    /// Its value, without quotes or escaping backslashes.
    pub parameter_value: VarBytes,
}

/// `MediaType`: an IANA media type (`type/subtype`) and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct MediaType {
    /// `type/subtype`, e.g. `text/plain`; empty in an [`ApplicationFraming`] to mean the
    /// group's first media type.
    pub media_type: VarBytes,
    /// Its parameters.
    pub parameters: Vec<MediaTypeParameter>,
}

impl MediaType {
    /// The media type `ty` without parameters.
    pub fn new(ty: &str) -> Self {
        Self {
            media_type: VarBytes::from(ty.as_bytes().to_vec()),
            parameters: Vec::new(),
        }
    }

    /// This media type with parameter `name=value` added.
    pub fn with_parameter(mut self, name: &str, value: &str) -> Self {
        self.parameters.push(MediaTypeParameter {
            parameter_name: VarBytes::from(name.as_bytes().to_vec()),
            parameter_value: VarBytes::from(value.as_bytes().to_vec()),
        });
        self
    }

    /// Whether `self` and `other` name the same `type/subtype` (ASCII case-insensitively, as
    /// media types compare), whatever their parameters.
    pub fn same_type(&self, other: &MediaType) -> bool {
        self.media_type
            .as_slice()
            .eq_ignore_ascii_case(other.media_type.as_slice())
    }
}

/// `MediaTypeList`, the body of the `content_media_types` component. Must hold at least one
/// media type; decoding refuses an empty list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaTypeList {
    media_types: Vec<MediaType>,
}

impl MediaTypeList {
    /// The list of `media_types`, or `None` when it is empty.
    pub fn new(media_types: Vec<MediaType>) -> Option<Self> {
        (!media_types.is_empty()).then_some(Self { media_types })
    }

    /// The media types, in order (the first is the default of [`ApplicationFraming`]).
    pub fn media_types(&self) -> &[MediaType] {
        &self.media_types
    }

    /// Whether every type of `required` is in this list.
    pub fn covers(&self, required: &MediaTypeList) -> bool {
        required
            .media_types
            .iter()
            .all(|r| self.media_types.iter().any(|m| m.same_type(r)))
    }
}

impl Encode for MediaTypeList {
    fn encoded_len(&self) -> usize {
        self.media_types.encoded_len()
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.media_types.encode(out)
    }
}

impl Decode for MediaTypeList {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        let media_types: Vec<MediaType> = Decode::decode(reader)?;
        Self::new(media_types).ok_or(CodecError::InvalidValue {
            what: "MediaTypeList",
            reason: "must contain at least one media type",
        })
    }
}

/// `ApplicationFraming` (draft "Framing of application_data"): the `application_data` of a
/// group whose GroupContext has the `content_media_types` component.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ApplicationFraming {
    /// The content's media type; an empty type means the group's first one.
    pub media_type: MediaType,
    /// The content.
    pub inner_application_content: VarBytes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_component_ids_are_the_drafts_eight() {
        let grease: Vec<u16> = (0..=u16::MAX)
            .filter(|&v| ComponentId(v).is_grease())
            .collect();
        assert_eq!(
            grease,
            [
                0x0A0A, 0x1A1A, 0x2A2A, 0x3A3A, 0x4A4A, 0x5A5A, 0x6A6A, 0x7A7A
            ]
        );
    }

    #[test]
    fn component_operation_label_encoding() {
        let bytes = ComponentOperationLabel::encoded(ComponentId(0x8001), b"op").expect("encodes");
        let mut expected = vec![13];
        expected.extend_from_slice(b"MLS Component");
        expected.extend_from_slice(&[0x80, 0x01, 2, b'o', b'p']);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn dictionary_keeps_order_and_refuses_unsorted_input() {
        let mut d = AppDataDictionary::new();
        d.insert(ComponentId(9), vec![9]);
        d.insert(ComponentId(2), vec![2]);
        d.insert(ComponentId(9), vec![10]);
        assert_eq!(d.get(ComponentId(9)), Some(&[10][..]));
        let body = d.to_bytes().expect("encodes");
        assert_eq!(
            AppDataDictionary::entry_in(&body, ComponentId(2)),
            Some(&[2][..])
        );
        assert_eq!(AppDataDictionary::entry_in(&body, ComponentId(3)), None);
        assert_eq!(
            AppDataDictionary::entry_in(&body[..3], ComponentId(9)),
            None
        );
        let ids: Vec<u16> = d.entries().iter().map(|e| e.component_id.0).collect();
        assert_eq!(ids, [2, 9]);
        let bytes = d.to_bytes().expect("encodes");
        assert_eq!(AppDataDictionary::from_bytes(&bytes).expect("decodes"), d);
        // Entries out of order, or one component twice, do not decode.
        for pair in [[9u16, 2], [2, 2]] {
            let entries: Vec<ComponentData> = pair
                .iter()
                .map(|&c| ComponentData {
                    component_id: ComponentId(c),
                    data: VarBytes::from(vec![]),
                })
                .collect();
            let bytes = entries.to_bytes().expect("encodes");
            assert!(AppDataDictionary::from_bytes(&bytes).is_err());
        }
        assert_eq!(d.remove(ComponentId(2)), Some(vec![2]));
        assert_eq!(d.remove(ComponentId(2)), None);
    }

    #[test]
    fn app_data_update_round_trips_and_refuses_invalid_operation() {
        for op in [
            AppDataOperation::Update(VarBytes::from(vec![1, 2])),
            AppDataOperation::Remove,
        ] {
            let u = AppDataUpdate {
                component_id: ComponentId(7),
                op,
            };
            let bytes = u.to_bytes().expect("encodes");
            assert_eq!(bytes.len(), u.encoded_len());
            assert_eq!(AppDataUpdate::from_bytes(&bytes).expect("decodes"), u);
        }
        assert!(matches!(
            AppDataUpdate::from_bytes(&[0, 7, 0]),
            Err(CodecError::UnknownEnum { value: 0, .. })
        ));
    }

    #[test]
    fn media_type_list_must_not_be_empty() {
        assert!(MediaTypeList::from_bytes(&[0]).is_err());
        let list = MediaTypeList::new(vec![
            MediaType::new("text/plain").with_parameter("charset", "UTF-8"),
        ])
        .expect("non-empty");
        let bytes = list.to_bytes().expect("encodes");
        assert_eq!(MediaTypeList::from_bytes(&bytes).expect("decodes"), list);
        let required = MediaTypeList::new(vec![MediaType::new("TEXT/PLAIN")]).expect("non-empty");
        assert!(list.covers(&required));
    }

    #[test]
    fn safe_aad_sorts_and_refuses_repeats() {
        let item = |c: u16| SafeAadItem {
            component_id: ComponentId(c),
            aad_item_data: VarBytes::from(vec![c as u8]),
        };
        let aad = SafeAad::new(vec![item(5), item(3)]).expect("distinct");
        assert_eq!(aad.items()[0].component_id, ComponentId(3));
        assert_eq!(aad.get(ComponentId(5)), Some(&[5][..]));
        assert!(SafeAad::new(vec![item(3), item(3)]).is_err());
        let unsorted = vec![item(5), item(3)].to_bytes().expect("encodes");
        assert!(SafeAad::from_bytes(&unsorted).is_err());
    }
}
