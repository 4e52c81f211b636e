//! `podsec certs`: a private CA and a serving certificate for the webhook's Service, for
//! clusters without cert-manager.
//!
//! Writes `ca.crt`, `tls.crt` and `tls.key` (PEM) to the output directory, ready for the
//! `deploy/kustomize/manual-certs` overlay's Secret generator, and prints the base64 `caBundle`
//! for the `ValidatingWebhookConfiguration` on standard output. Both keys are ECDSA P-256; the
//! CA's private key is never written: a new serving certificate means a new CA (run the command
//! again and re-apply, the server reloads the files without a restart).

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use clap::Args;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SerialNumber,
};
use time::OffsetDateTime;

/// `podsec certs`.
#[derive(Debug, Args)]
pub struct CertsArgs {
    /// Name of the webhook's Service.
    #[arg(long, default_value = "podsec-webhook", value_name = "NAME")]
    pub service: String,

    /// Namespace of the webhook's Service.
    #[arg(long, default_value = "podsec", value_name = "NAMESPACE")]
    pub namespace: String,

    /// The cluster's DNS domain (for the `<svc>.<ns>.svc.<domain>` name).
    #[arg(long, default_value = "cluster.local", value_name = "DOMAIN")]
    pub cluster_domain: String,

    /// Directory to write `ca.crt`, `tls.crt` and `tls.key` to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,

    /// Validity of the serving certificate, in days.
    #[arg(long, default_value_t = 365, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: u32,

    /// Validity of the CA certificate, in days (at least `--days`).
    #[arg(long, default_value_t = 3650, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub ca_days: u32,

    /// Overwrite existing files in the output directory.
    #[arg(long)]
    pub force: bool,
}

/// The generated material, PEM-encoded.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The CA certificate (`ca.crt`, and the `caBundle`).
    pub ca_pem: String,
    /// The serving certificate (`tls.crt`).
    pub cert_pem: String,
    /// The serving certificate's PKCS#8 private key (`tls.key`).
    pub key_pem: String,
}

impl Generated {
    /// The `caBundle` of a webhook's `clientConfig`: the CA certificate PEM, base64-encoded.
    pub fn ca_bundle(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes())
    }
}

/// The DNS names the API server may use to reach the Service.
pub fn dns_names(service: &str, namespace: &str, cluster_domain: &str) -> Vec<String> {
    vec![
        service.to_owned(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.{cluster_domain}"),
    ]
}

/// Generates a CA and a serving certificate for `names`, valid from one hour ago (clock skew)
/// for `days` and `ca_days` days.
pub fn generate(names: &[String], days: u32, ca_days: u32) -> anyhow::Result<Generated> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("system clock before 1970")?
        .as_secs();
    let now = i64::try_from(now).context("system clock out of range")?;
    let at = |offset_secs: i64| {
        OffsetDateTime::from_unix_timestamp(now + offset_secs).context("validity out of range")
    };
    let day = 86_400_i64;
    let not_before = at(-3600)?;
    let ca_days = ca_days.max(days);

    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("generating the CA key")?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("podsec-webhook-ca-{now}"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = not_before;
    ca_params.not_after = at(i64::from(ca_days) * day)?;
    ca_params.serial_number = Some(serial(&ca_key, 1));
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .context("signing the CA certificate")?;
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("generating the key")?;
    let mut params = CertificateParams::new(names.to_vec())
        .with_context(|| format!("invalid DNS name in {names:?}"))?;
    params.distinguished_name = DistinguishedName::new();
    if let Some(cn) = names.get(2).or_else(|| names.first()) {
        params
            .distinguished_name
            .push(DnType::CommonName, cn.as_str());
    }
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = at(i64::from(days) * day)?;
    params.serial_number = Some(serial(&key, 2));
    let cert = params
        .signed_by(&key, &issuer)
        .context("signing the serving certificate")?;

    Ok(Generated {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A positive 16-byte serial number taken from the (random) public key: unique per run without
/// another source of randomness.
fn serial(key: &KeyPair, tag: u8) -> SerialNumber {
    let public = key.public_key_raw();
    let mut bytes = [0_u8; 16];
    // An uncompressed P-256 point: 0x04, then the x coordinate.
    for (b, p) in bytes.iter_mut().zip(public.iter().skip(1)) {
        *b = *p;
    }
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    bytes[15] ^= tag;
    SerialNumber::from_slice(&bytes)
}

/// Runs `podsec certs`: writes the files and prints the `caBundle`.
pub fn run(args: &CertsArgs) -> anyhow::Result<()> {
    if args.service.is_empty() || args.namespace.is_empty() {
        bail!("--service and --namespace must not be empty");
    }
    let names = dns_names(&args.service, &args.namespace, &args.cluster_domain);
    let files = ["ca.crt", "tls.crt", "tls.key"].map(|f| args.out_dir.join(f));
    if !args.force
        && let Some(existing) = files.iter().find(|f| f.exists())
    {
        bail!(
            "{} already exists (use --force to overwrite)",
            existing.display()
        );
    }
    let generated = generate(&names, args.days, args.ca_days)?;
    fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("creating {}", args.out_dir.display()))?;
    write_file(&files[0], &generated.ca_pem, false)?;
    write_file(&files[1], &generated.cert_pem, false)?;
    write_file(&files[2], &generated.key_pem, true)?;

    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "wrote {}, {} and {} for {} (serving certificate valid {} days, CA {} days)",
        files[0].display(),
        files[1].display(),
        files[2].display(),
        names.join(", "),
        args.days,
        args.ca_days.max(args.days),
    );
    let _ = writeln!(err, "caBundle:");
    let mut out = io::stdout().lock();
    writeln!(out, "{}", generated.ca_bundle()).context("writing the caBundle")?;
    Ok(())
}

/// Writes `contents` to `path`; private keys are readable by the owner only.
fn write_file(path: &Path, contents: &str, private: bool) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_every_service_form() {
        assert_eq!(
            dns_names("podsec-webhook", "podsec", "cluster.local"),
            [
                "podsec-webhook",
                "podsec-webhook.podsec",
                "podsec-webhook.podsec.svc",
                "podsec-webhook.podsec.svc.cluster.local",
            ]
        );
    }

    #[test]
    fn generates_pem_and_bundle() {
        let names = dns_names("svc", "ns", "cluster.local");
        let generated = generate(&names, 30, 365).expect("generate");
        assert!(generated.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(
            generated
                .cert_pem
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        assert!(generated.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(generated.ca_bundle())
            .expect("base64");
        assert_eq!(decoded, generated.ca_pem.as_bytes());
        // Two runs never share keys.
        let again = generate(&names, 30, 365).expect("generate");
        assert_ne!(again.key_pem, generated.key_pem);
        assert_ne!(again.ca_pem, generated.ca_pem);
    }
}
