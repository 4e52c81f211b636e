//! Field paths of a pod, as the policy library names them
//! (`spec.containers[0].securityContext.allowPrivilegeEscalation`,
//! `metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]`).

use std::fmt;

use crate::text::go_quote;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// An object field, written `.name`.
    Field(String),
    /// A map key (annotations), written `["key"]` (Go-quoted).
    Key(String),
    /// A list index, written `[0]`.
    Index(usize),
}

/// A path from the pod's root (`metadata` or `spec` first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    /// A path of fields and indices read from the policy library's spelling, e.g.
    /// `spec.containers[0].ports[1].hostPort`. Map keys (`["..."]`) are not read here: use
    /// [`FieldPath::annotation`].
    pub fn parse(text: &str) -> Option<FieldPath> {
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (name, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if name.is_empty() {
                return None;
            }
            segments.push(Segment::Field(name.to_owned()));
            while let Some(inner) = rest.strip_prefix('[') {
                let end = inner.find(']')?;
                segments.push(Segment::Index(inner[..end].parse().ok()?));
                rest = &inner[end + 1..];
            }
        }
        Some(FieldPath(segments))
    }

    /// `metadata.annotations["key"]`.
    pub fn annotation(key: &str) -> FieldPath {
        FieldPath(vec![
            Segment::Field("metadata".into()),
            Segment::Field("annotations".into()),
            Segment::Key(key.to_owned()),
        ])
    }

    /// This path with `segment` appended.
    pub fn join(&self, segment: Segment) -> FieldPath {
        let mut out = self.clone();
        out.0.push(segment);
        out
    }

    /// This path with the field `name` appended.
    pub fn field(&self, name: &str) -> FieldPath {
        self.join(Segment::Field(name.to_owned()))
    }

    /// The path without its last segment, and the last segment.
    pub fn split_last(&self) -> Option<(FieldPath, &Segment)> {
        let (last, parent) = self.0.split_last()?;
        Some((FieldPath(parent.to_vec()), last))
    }

    /// The path re-rooted in an object whose pod spec lives at `spec_path` and pod metadata at
    /// `metadata_path` (dotted, e.g. `spec.template.spec`): the leading `spec` or `metadata`
    /// segment is replaced.
    pub fn rooted(&self, spec_path: &str, metadata_path: &str) -> FieldPath {
        let root = match self.0.first() {
            Some(Segment::Field(f)) if f == "spec" => spec_path,
            Some(Segment::Field(f)) if f == "metadata" => metadata_path,
            _ => return self.clone(),
        };
        let mut segments: Vec<Segment> = root
            .split('.')
            .filter(|s| !s.is_empty())
            .map(|s| Segment::Field(s.to_owned()))
            .collect();
        segments.extend(self.0.iter().skip(1).cloned());
        FieldPath(segments)
    }

    /// The RFC 6901 JSON pointer of this path (`/spec/containers/0/...`).
    pub fn json_pointer(&self) -> String {
        let mut out = String::new();
        for segment in &self.0 {
            out.push('/');
            match segment {
                Segment::Field(s) | Segment::Key(s) => {
                    out.push_str(&s.replace('~', "~0").replace('/', "~1"))
                }
                Segment::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Field(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                Segment::Key(key) => write!(f, "[{}]", go_quote(key))?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_policy_paths() {
        let path = FieldPath::parse("spec.containers[2].ports[0].hostPort").expect("path");
        assert_eq!(path.to_string(), "spec.containers[2].ports[0].hostPort");
        assert_eq!(path.json_pointer(), "/spec/containers/2/ports/0/hostPort");
        assert!(FieldPath::parse("spec..x").is_none());
        assert!(FieldPath::parse("spec.containers[x]").is_none());
    }

    #[test]
    fn annotations_are_go_quoted_and_pointer_escaped() {
        let path = FieldPath::annotation("container.apparmor.security.beta.kubernetes.io/a~b");
        assert_eq!(
            path.to_string(),
            r#"metadata.annotations["container.apparmor.security.beta.kubernetes.io/a~b"]"#
        );
        assert_eq!(
            path.json_pointer(),
            "/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1a~0b"
        );
    }

    #[test]
    fn rooted_in_workload_templates() {
        let path = FieldPath::parse("spec.containers[0].name").expect("path");
        assert_eq!(
            path.rooted("spec.jobTemplate.spec.template.spec", "x")
                .to_string(),
            "spec.jobTemplate.spec.template.spec.containers[0].name"
        );
        assert_eq!(
            FieldPath::annotation("k")
                .rooted("spec.template.spec", "spec.template.metadata")
                .to_string(),
            r#"spec.template.metadata.annotations["k"]"#
        );
    }
}
