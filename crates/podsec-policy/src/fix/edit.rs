//! Field operations on a pod, and applying them to the policy model.

use std::fmt;

use serde::ser::{Serialize, SerializeSeq, Serializer};

use super::path::{FieldPath, Segment};
use crate::model::{
    Capabilities, Container, Handler, PodMetadata, PodSecurityContext, PodSpec, Profile,
    SecurityContext,
};

/// A JSON value an edit writes: the planner only ever writes these shapes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    String(String),
    /// A list of values.
    List(Vec<Value>),
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::String(s) => serializer.serialize_str(s),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

impl fmt::Display for Value {
    /// JSON text (strings JSON-escaped).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::String(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\t' => f.write_str("\\t")?,
                        '\r' => f.write_str("\\r")?,
                        c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// One field operation. Edits apply in order; a [`Edit::Set`] creates the objects missing
/// on its way (so `spec.containers[0].securityContext.allowPrivilegeEscalation` also creates
/// `securityContext` when the container has none).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Edit {
    /// Sets a field (adding it, or replacing its value).
    Set {
        /// The field.
        path: FieldPath,
        /// Its new value.
        value: Value,
    },
    /// Removes a field.
    Remove {
        /// The field.
        path: FieldPath,
    },
    /// Removes the item at `index` of the list at `path` (the planner removes items of one
    /// list from the highest index down, so every index is also the original one).
    RemoveItem {
        /// The list.
        path: FieldPath,
        /// The item's index.
        index: usize,
    },
    /// Appends an item to the list at `path`.
    AddItem {
        /// The list.
        path: FieldPath,
        /// The new item.
        value: Value,
    },
}

impl Edit {
    /// The field the edit changes (for list items, the item's path; for an appended item,
    /// the list's).
    pub fn path(&self) -> FieldPath {
        match self {
            Edit::Set { path, .. } | Edit::Remove { path } | Edit::AddItem { path, .. } => {
                path.clone()
            }
            Edit::RemoveItem { path, index } => path.join(Segment::Index(*index)),
        }
    }
}

impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Edit::Set { path, value } => write!(f, "set {path} = {value}"),
            Edit::Remove { path } => write!(f, "remove {path}"),
            Edit::RemoveItem { path, index } => write!(f, "remove {path}[{index}]"),
            Edit::AddItem { path, value } => write!(f, "add {value} to {path}"),
        }
    }
}

/// An edit [`apply`] cannot make on the model: a path the planner never writes, or a missing
/// list item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    /// The edit.
    pub edit: String,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot apply `{}` to the pod model", self.edit)
    }
}

impl std::error::Error for ApplyError {}

/// Applies `edits` to a pod's model, in order. Only the fields the planner writes are
/// supported (the model holds only what the checks read).
pub fn apply<'a>(
    edits: impl IntoIterator<Item = &'a Edit>,
    metadata: &mut PodMetadata,
    spec: &mut PodSpec,
) -> Result<(), ApplyError> {
    for edit in edits {
        apply_one(edit, metadata, spec).ok_or_else(|| ApplyError {
            edit: edit.to_string(),
        })?;
    }
    Ok(())
}

/// What an edit does to the field it reaches.
enum Op<'a> {
    Set(&'a Value),
    Remove,
    RemoveItem(usize),
    AddItem(&'a Value),
}

fn apply_one(edit: &Edit, metadata: &mut PodMetadata, spec: &mut PodSpec) -> Option<()> {
    let (path, op) = match edit {
        Edit::Set { path, value } => (path, Op::Set(value)),
        Edit::Remove { path } => (path, Op::Remove),
        Edit::RemoveItem { path, index } => (path, Op::RemoveItem(*index)),
        Edit::AddItem { path, value } => (path, Op::AddItem(value)),
    };
    let names: Vec<Name<'_>> = path.0.iter().map(Name::of).collect();
    match names.as_slice() {
        [Name::F("metadata"), Name::F("annotations"), Name::K(key)] => match op {
            Op::Set(Value::String(v)) => {
                metadata.annotations.insert((*key).to_owned(), v.clone());
                Some(())
            }
            Op::Remove => metadata.annotations.remove(*key).map(|_| ()),
            _ => None,
        },
        [Name::F("spec"), Name::F("securityContext"), rest @ ..] => {
            pod_security_context(&mut spec.security_context, rest, op)
        }
        [Name::F("spec"), Name::F(list), Name::I(i), rest @ ..] => {
            let containers = match *list {
                "initContainers" => &mut spec.init_containers,
                "containers" => &mut spec.containers,
                "ephemeralContainers" => &mut spec.ephemeral_containers,
                _ => return None,
            };
            container(containers.get_mut(*i)?, rest, op)
        }
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Name<'a> {
    F(&'a str),
    K(&'a str),
    I(usize),
}

impl<'a> Name<'a> {
    fn of(segment: &'a Segment) -> Self {
        match segment {
            Segment::Field(f) => Name::F(f),
            Segment::Key(k) => Name::K(k),
            Segment::Index(i) => Name::I(*i),
        }
    }
}

fn pod_security_context(
    slot: &mut Option<PodSecurityContext>,
    rest: &[Name<'_>],
    op: Op<'_>,
) -> Option<()> {
    if let ([], Op::Remove) = (rest, &op) {
        *slot = None;
        return Some(());
    }
    let sc = slot.get_or_insert_with(Default::default);
    match rest {
        [Name::F("runAsNonRoot")] => set_bool(&mut sc.run_as_non_root, op),
        [Name::F("runAsUser")] => set_int(&mut sc.run_as_user, op),
        [Name::F("seccompProfile"), rest @ ..] => profile(&mut sc.seccomp_profile, rest, op),
        [Name::F("appArmorProfile"), rest @ ..] => profile(&mut sc.app_armor_profile, rest, op),
        [Name::F("sysctls")] => match op {
            Op::Remove => {
                sc.sysctls.clear();
                Some(())
            }
            Op::RemoveItem(i) if i < sc.sysctls.len() => {
                sc.sysctls.remove(i);
                Some(())
            }
            _ => None,
        },
        _ => None,
    }
}

fn container(c: &mut Container, rest: &[Name<'_>], op: Op<'_>) -> Option<()> {
    match rest {
        [Name::F("securityContext"), rest @ ..] => {
            security_context(&mut c.security_context, rest, op)
        }
        [Name::F("ports"), Name::I(i), Name::F("hostPort")] => match op {
            Op::Remove => {
                c.ports.get_mut(*i)?.host_port = 0;
                Some(())
            }
            _ => None,
        },
        [Name::F(probe), Name::F(action), Name::F("host")] => {
            let handler = match *probe {
                "livenessProbe" => c.liveness_probe.as_mut(),
                "readinessProbe" => c.readiness_probe.as_mut(),
                "startupProbe" => c.startup_probe.as_mut(),
                _ => None,
            };
            handler_host(handler?, action, op)
        }
        [
            Name::F("lifecycle"),
            Name::F(hook),
            Name::F(action),
            Name::F("host"),
        ] => {
            let lifecycle = c.lifecycle.as_mut()?;
            let handler = match *hook {
                "postStart" => lifecycle.post_start.as_mut(),
                "preStop" => lifecycle.pre_stop.as_mut(),
                _ => None,
            };
            handler_host(handler?, action, op)
        }
        _ => None,
    }
}

fn handler_host(handler: &mut Handler, action: &str, op: Op<'_>) -> Option<()> {
    let action = match action {
        "httpGet" => handler.http_get.as_mut(),
        "tcpSocket" => handler.tcp_socket.as_mut(),
        _ => None,
    }?;
    match op {
        Op::Remove => {
            action.host.clear();
            Some(())
        }
        _ => None,
    }
}

fn security_context(
    slot: &mut Option<SecurityContext>,
    rest: &[Name<'_>],
    op: Op<'_>,
) -> Option<()> {
    let sc = slot.get_or_insert_with(Default::default);
    match rest {
        [Name::F("allowPrivilegeEscalation")] => set_bool(&mut sc.allow_privilege_escalation, op),
        [Name::F("runAsNonRoot")] => set_bool(&mut sc.run_as_non_root, op),
        [Name::F("runAsUser")] => set_int(&mut sc.run_as_user, op),
        [Name::F("procMount")] => match op {
            Op::Set(Value::String(s)) => {
                sc.proc_mount = Some(s.clone());
                Some(())
            }
            Op::Remove => {
                sc.proc_mount = None;
                Some(())
            }
            _ => None,
        },
        [Name::F("seccompProfile"), rest @ ..] => profile(&mut sc.seccomp_profile, rest, op),
        [Name::F("appArmorProfile"), rest @ ..] => profile(&mut sc.app_armor_profile, rest, op),
        [Name::F("capabilities"), Name::F(list)] => {
            let caps: &mut Capabilities = sc.capabilities.get_or_insert_with(Default::default);
            let list = match *list {
                "add" => &mut caps.add,
                "drop" => &mut caps.drop,
                _ => return None,
            };
            match op {
                Op::Set(Value::List(items)) => {
                    *list = strings(items)?;
                    Some(())
                }
                Op::Remove => {
                    list.clear();
                    Some(())
                }
                Op::RemoveItem(i) if i < list.len() => {
                    list.remove(i);
                    Some(())
                }
                Op::AddItem(Value::String(s)) => {
                    list.push(s.clone());
                    Some(())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn profile(slot: &mut Option<Profile>, rest: &[Name<'_>], op: Op<'_>) -> Option<()> {
    match (rest, op) {
        ([], Op::Remove) => {
            *slot = None;
            Some(())
        }
        ([Name::F("type")], Op::Set(Value::String(s))) => {
            slot.get_or_insert_with(Default::default).type_ = s.clone();
            Some(())
        }
        ([Name::F("localhostProfile")], Op::Remove) => {
            if let Some(p) = slot {
                p.localhost_profile = None;
            }
            Some(())
        }
        _ => None,
    }
}

fn set_bool(slot: &mut Option<bool>, op: Op<'_>) -> Option<()> {
    match op {
        Op::Set(Value::Bool(b)) => *slot = Some(*b),
        Op::Remove => *slot = None,
        _ => return None,
    }
    Some(())
}

fn set_int(slot: &mut Option<i64>, op: Op<'_>) -> Option<()> {
    match op {
        Op::Set(Value::Int(i)) => *slot = Some(*i),
        Op::Remove => *slot = None,
        _ => return None,
    }
    Some(())
}

fn strings(items: &[Value]) -> Option<Vec<String>> {
    items
        .iter()
        .map(|v| match v {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}
