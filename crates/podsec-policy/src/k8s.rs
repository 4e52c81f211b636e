//! Conversion from `k8s-openapi` types (work in progress).
