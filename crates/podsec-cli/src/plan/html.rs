//! `podsec plan --format html`: one self-contained page (inline CSS and script; its
//! Content-Security-Policy forbids every fetch), namespaces coloured by the strictest level
//! they pass.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use podsec_admission::Mode;
use podsec_admission::labels::{level_label, version_label};

use super::text::{effect, objects};
use super::{Decision, NamespacePlan, Plan, Status};
use crate::recommend::Prepared;
use crate::recommend::analysis::Offender;

/// The page's Content-Security-Policy: no fetch of any kind; inline style and script only.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root{--restricted:#1f8a4c;--restricted-bg:#e8f6ee;--baseline:#b7791f;--baseline-bg:#fdf4e3;--privileged:#c53b3b;--privileged-bg:#fbeaea;--ink:#1d2430;--muted:#5c6677;--line:#dde2ea;--bg:#f4f6f9;--card:#fff;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#17202e;color:#fff;padding:22px 32px 18px}
header h1{margin:0 0 4px;font-size:22px;font-weight:650;letter-spacing:.2px}
header p{margin:0;color:#b8c2d3}
.tiles{display:flex;gap:10px;flex-wrap:wrap;margin-top:16px}
.tile{background:#223047;border-radius:8px;padding:8px 14px;min-width:104px}
.tile b{display:block;font-size:22px;line-height:1.2}
.tile span{color:#b8c2d3;font-size:12px;text-transform:uppercase;letter-spacing:.6px}
.tile.blocked b{color:#ff9d9d}.tile.ready b{color:#8ee0ae}.tile.done b{color:#8ee0ae}
main{padding:20px 32px 40px;max-width:1280px}
.bar{display:flex;align-items:center;gap:18px;flex-wrap:wrap;margin-bottom:16px}
.legend{display:flex;gap:14px;align-items:center;color:var(--muted)}
.legend i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:5px;vertical-align:-1px}
.filters button{border:1px solid var(--line);background:#fff;border-radius:16px;padding:4px 12px;margin-right:4px;cursor:pointer;color:var(--ink)}
.filters button.on{background:var(--ink);color:#fff;border-color:var(--ink)}
.overview{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--line);border-radius:8px;overflow:hidden;margin-bottom:22px}
.overview th,.overview td{text-align:left;padding:7px 12px;border-bottom:1px solid var(--line);vertical-align:top}
.overview th{font-size:12px;text-transform:uppercase;letter-spacing:.5px;color:var(--muted);background:#fafbfc}
.overview tr:last-child td{border-bottom:0}
.overview a{color:inherit;font-weight:600;text-decoration:none}
.pill{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;color:#fff}
.pill.level-restricted{background:var(--restricted)}.pill.level-baseline{background:var(--baseline)}.pill.level-privileged{background:var(--privileged)}
.badge{display:inline-block;border-radius:4px;padding:1px 7px;font-size:12px;font-weight:600;border:1px solid currentColor}
.badge.done{color:#5c6677}.badge.ready{color:var(--restricted)}.badge.blocked{color:var(--privileged)}
.badge.restrict{color:#2f5fb3}.badge.keep-privileged{color:var(--privileged)}.badge.exempt{color:#6b46c1}
.ns{background:var(--card);border:1px solid var(--line);border-left:6px solid;border-radius:8px;margin:0 0 18px;padding:14px 18px 16px}
.ns.level-restricted{border-left-color:var(--restricted)}.ns.level-baseline{border-left-color:var(--baseline)}.ns.level-privileged{border-left-color:var(--privileged)}
.ns h2{margin:0;font-size:18px;display:flex;align-items:center;gap:10px;flex-wrap:wrap}
.ns .why{color:var(--muted);margin:4px 0 10px}
.cols{display:grid;grid-template-columns:minmax(280px,1fr) 2fr;gap:22px}
.cols>div{min-width:0}
.steps-wrap{margin-top:6px}
h3{font-size:12px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted);margin:12px 0 6px}
table.labels,table.blockers{border-collapse:collapse;width:100%}
table.labels td,table.labels th,table.blockers td,table.blockers th{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
table.labels th,table.blockers th{font-size:12px;color:var(--muted);font-weight:600}
table.labels td.mode{font-weight:600}
td.changed{background:#eef4ff}
table.blockers td.obj{font-weight:600;width:30%;word-break:break-word}
table.blockers td.msg{word-break:break-word}
table.blockers .where{display:block;font-weight:400;color:var(--muted);font-size:12px}
table.blockers code{font-family:var(--mono);font-size:12px;background:#f1f3f6;padding:0 4px;border-radius:3px}
ol.steps{margin:0;padding:0;list-style:none;counter-reset:step}
ol.steps>li{counter-increment:step;position:relative;padding:8px 0 8px 34px;border-bottom:1px dashed var(--line)}
ol.steps>li:last-child{border-bottom:0}
ol.steps>li::before{content:counter(step);position:absolute;left:0;top:8px;width:24px;height:24px;border-radius:50%;background:#e9edf3;text-align:center;font-weight:700;line-height:24px;font-size:12px}
ol.steps>li.blocked::before{background:var(--privileged-bg);color:var(--privileged)}
ol.steps>li.ready::before{background:var(--restricted-bg);color:var(--restricted)}
.step-head{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.step-head strong{font-family:var(--mono);font-size:13px}
.evidence{color:var(--muted);margin:4px 0}
.cmd{display:flex;align-items:stretch;margin-top:6px;border:1px solid #2a3446;border-radius:6px;overflow:hidden;background:#17202e}
.cmd code{flex:1;color:#e6edf7;font-family:var(--mono);font-size:12px;padding:6px 10px;white-space:pre-wrap;word-break:break-all}
.cmd button{border:0;background:#2a3446;color:#fff;padding:0 12px;cursor:pointer;font-size:12px}
.cmd button.copied{background:var(--restricted)}
.cmd.fix{background:#3a1f1f;border-color:#5a2b2b}.cmd.fix button{background:#5a2b2b}
.none{color:var(--muted);font-style:italic}
pre.config{background:#17202e;color:#e6edf7;padding:14px 16px;border-radius:8px;font-family:var(--mono);font-size:12px;overflow:auto;margin:0}
section.config{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px 18px}
section.config h2{margin:0 0 4px;font-size:18px}
footer{color:var(--muted);font-size:12px;margin-top:20px}
@media (max-width:900px){.cols{grid-template-columns:1fr}}
"#;

const SCRIPT: &str = r#"
document.documentElement.setAttribute('data-script', 'ran');
document.addEventListener('click', function (event) {
  var button = event.target.closest('button[data-copy]');
  if (button) {
    var text = button.parentNode.querySelector('code').textContent;
    var done = function () { button.textContent = 'copied'; button.classList.add('copied');
      setTimeout(function () { button.textContent = 'copy'; button.classList.remove('copied'); }, 1500); };
    if (navigator.clipboard) { navigator.clipboard.writeText(text).then(done, function () {}); }
    else { var range = document.createRange(); range.selectNodeContents(button.parentNode.querySelector('code'));
      var sel = getSelection(); sel.removeAllRanges(); sel.addRange(range); document.execCommand('copy'); done(); }
    return;
  }
  var filter = event.target.closest('button[data-filter]');
  if (filter) {
    var want = filter.getAttribute('data-filter');
    document.querySelectorAll('button[data-filter]').forEach(function (b) { b.classList.toggle('on', b === filter); });
    document.querySelectorAll('section.ns').forEach(function (ns) {
      ns.hidden = !(want === 'all' || ns.classList.contains(want));
    });
  }
});
"#;

fn level_class(level: podsec_policy::Level) -> String {
    format!("level-{}", level.as_str())
}

/// The page.
pub fn render(plan: &Plan, prepared: &Prepared) -> String {
    let s = &plan.summary;
    let files: BTreeSet<&str> = prepared
        .inventory
        .items
        .iter()
        .map(|i| i.at.file.as_str())
        .chain(
            prepared
                .inventory
                .namespaces
                .iter()
                .map(|n| n.file.as_str()),
        )
        .collect();
    let mut sources: Vec<&str> = files.iter().copied().take(3).collect();
    if files.len() > 3 {
        sources.push("…");
    }
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Pod Security rollout plan</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(CSP)
    );
    let _ = write!(
        out,
        "<header>\n<h1>Pod Security rollout plan</h1>\n<p>{} · Kubernetes {} · policy versions up to {} · generated by podsec {}</p>\n<div class=\"tiles\">",
        esc(&sources.join(", ")),
        esc(&plan.kube.to_string()),
        esc(&plan.newest.to_string()),
        env!("CARGO_PKG_VERSION"),
    );
    for (class, n, label) in [
        ("", s.namespaces, "namespaces"),
        ("", s.workloads, "workloads"),
        ("", s.pods, "pods"),
        ("done", s.done, "done"),
        ("ready", s.ready, "ready to roll out"),
        ("blocked", s.blocked, "blocked"),
        ("", s.keep_privileged, "kept privileged"),
        ("", s.exempt, "exempt"),
    ] {
        let _ = write!(
            out,
            "<div class=\"tile {class}\"><b>{n}</b><span>{label}</span></div>"
        );
    }
    out.push_str("</div>\n</header>\n<main>\n");

    out.push_str(
        "<div class=\"bar\"><div class=\"legend\">Strictest level passing now: \
         <span><i style=\"background:var(--restricted)\"></i>restricted</span>\
         <span><i style=\"background:var(--baseline)\"></i>baseline</span>\
         <span><i style=\"background:var(--privileged)\"></i>privileged</span></div>\
         <div class=\"filters\"><button class=\"on\" data-filter=\"all\">all</button>\
         <button data-filter=\"status-blocked\">blocked</button>\
         <button data-filter=\"status-ready\">ready</button>\
         <button data-filter=\"decision-exempt\">exempt</button>\
         <button data-filter=\"decision-keep-privileged\">kept privileged</button></div></div>\n",
    );

    overview(&mut out, plan);
    for (index, ns) in plan.namespaces.iter().enumerate() {
        namespace(&mut out, index, ns);
    }

    let _ = write!(
        out,
        "<section class=\"config\" id=\"configuration\"><h2>PodSecurityConfiguration</h2>\
         <p class=\"why\">{}</p><div class=\"cmd\"><code class=\"config\">{}</code>\
         <button data-copy>copy</button></div></section>",
        if plan.exempt.is_empty() {
            "No namespace needs an exemption; the cluster's configuration as it is.".to_owned()
        } else {
            format!(
                "The admission configuration with the exempt namespaces ({}): pass it to the API server with <code>--admission-control-config-file</code>.",
                esc(&plan.exempt.join(", "))
            )
        },
        esc(&plan.configuration),
    );
    out.push('\n');
    out.push_str(
        "<footer>Every decision comes from podsec's Pod Security engine; messages are upstream's.</footer>\n</main>\n",
    );
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

fn status_of(ns: &NamespacePlan) -> &'static str {
    if ns.steps.iter().any(|s| s.status == Status::Blocked) {
        "blocked"
    } else if ns.steps.iter().all(|s| s.status == Status::Done) {
        "done"
    } else {
        "ready"
    }
}

fn decision_class(d: Decision) -> &'static str {
    match d {
        Decision::Restrict => "restrict",
        Decision::KeepPrivileged => "keep-privileged",
        Decision::Exempt => "exempt",
    }
}

fn overview(out: &mut String, plan: &Plan) {
    out.push_str(
        "<table class=\"overview\"><thead><tr><th>Namespace</th><th>Passes now</th><th>Enforced now</th>\
         <th>Plan</th><th>Status</th><th>Workloads</th></tr></thead><tbody>\n",
    );
    for (index, ns) in plan.namespaces.iter().enumerate() {
        let r = &ns.recommendation;
        let target = match ns.decision {
            Decision::Exempt => "exempt in the configuration".to_owned(),
            _ => ns
                .steps
                .iter()
                .rev()
                .find(|s| s.mode == "enforce")
                .map_or_else(String::new, |s| {
                    format!("enforce {}:{}", s.level, esc(&s.version.to_string()))
                }),
        };
        let status = status_of(ns);
        let pending = ns.steps.iter().filter(|s| s.status != Status::Done).count();
        let status_text = match (ns.decision, status) {
            (Decision::Exempt, _) => "<span class=\"none\">no label change</span>".to_owned(),
            (_, "done") => "<span class=\"badge done\">done</span>".to_owned(),
            (_, "blocked") => {
                let blockers = ns
                    .steps
                    .iter()
                    .find(|s| s.status == Status::Blocked)
                    .map_or(0, |s| s.blockers.len());
                format!(
                    "<span class=\"badge blocked\">blocked</span> {} to fix",
                    objects(blockers)
                )
            }
            _ => format!(
                "<span class=\"badge ready\">ready</span> {pending} step{}",
                if pending == 1 { "" } else { "s" }
            ),
        };
        let size = if r.workloads == 0 {
            "<span class=\"none\">empty</span>".to_owned()
        } else {
            format!(
                "{} · {}",
                r.workloads,
                if r.pods == 1 {
                    "1 pod".to_owned()
                } else {
                    format!("{} pods", r.pods)
                }
            )
        };
        let _ = writeln!(
            out,
            "<tr class=\"{} status-{status}\"><td><a href=\"#ns-{index}\">{}</a></td><td><span class=\"pill {}\">{}</span></td>\
             <td>{}</td><td><span class=\"badge {}\">{}</span> {target}</td><td>{status_text}</td><td>{size}</td></tr>",
            level_class(r.strictest),
            esc(&ns.name),
            level_class(r.strictest),
            r.strictest,
            esc(&r.current.enforce),
            decision_class(ns.decision),
            ns.decision.as_str(),
        );
    }
    out.push_str("</tbody></table>\n");
}

/// The labels after the plan: the last step of each mode, else the current label.
fn planned_labels(ns: &NamespacePlan) -> BTreeMap<&'static str, (String, String)> {
    let r = &ns.recommendation;
    let mut rows = BTreeMap::new();
    for mode in Mode::ALL {
        let now = |key: &str| r.current.labels.get(key).cloned().unwrap_or_default();
        let current = (now(level_label(mode)), now(version_label(mode)));
        let planned = ns
            .steps
            .iter()
            .rev()
            .find(|s| s.mode == mode.as_str())
            .map_or_else(
                || current.clone(),
                |s| (s.level.to_string(), s.version.to_string()),
            );
        rows.insert(
            mode.as_str(),
            (format_label(&current), format_label(&planned)),
        );
    }
    rows
}

fn format_label((level, version): &(String, String)) -> String {
    match (level.is_empty(), version.is_empty()) {
        (true, true) => String::new(),
        (false, true) => level.clone(),
        (true, false) => format!("(version {version})"),
        (false, false) => format!("{level}:{version}"),
    }
}

fn offender_rows(out: &mut String, list: &[Offender]) {
    out.push_str(
        "<table class=\"blockers\"><thead><tr><th>Object</th><th>Check</th><th>Upstream's message</th></tr></thead><tbody>\n",
    );
    for o in list {
        for (i, b) in o.blockers.iter().enumerate() {
            out.push_str("<tr class=\"blocker\">");
            if i == 0 {
                let _ = write!(
                    out,
                    "<td class=\"obj\" rowspan=\"{}\">{}<span class=\"where\">{}</span></td>",
                    o.blockers.len(),
                    esc(&o.object.display()),
                    esc(&o.object.position())
                );
            }
            let _ = writeln!(
                out,
                "<td><code>{}</code></td><td class=\"msg\">{}</td></tr>",
                esc(b.check),
                esc(&b.message())
            );
        }
    }
    out.push_str("</tbody></table>\n");
}

fn namespace(out: &mut String, index: usize, ns: &NamespacePlan) {
    let r = &ns.recommendation;
    let _ = write!(
        out,
        "<section class=\"ns {} status-{} decision-{}\" id=\"ns-{index}\" data-namespace=\"{}\">\n\
         <h2>{}<span class=\"pill {}\">{}</span><span class=\"badge {}\">{}</span></h2>\n\
         <p class=\"why\">{} · {} · {} · passes {} at {}</p>\n<div class=\"cols\"><div>\n",
        level_class(r.strictest),
        status_of(ns),
        decision_class(ns.decision),
        esc(&ns.name),
        esc(&ns.name),
        level_class(r.strictest),
        r.strictest,
        decision_class(ns.decision),
        ns.decision.as_str(),
        esc(&ns.reason),
        if r.workloads == 1 {
            "1 workload".to_owned()
        } else {
            format!("{} workloads", r.workloads)
        },
        if r.pods == 1 {
            "1 pod".to_owned()
        } else {
            format!("{} pods", r.pods)
        },
        r.strictest,
        esc(&r.versions.to_string()),
    );
    out.push_str(
        "<h3>Labels</h3><table class=\"labels\"><thead><tr><th>mode</th><th>now</th><th>planned</th></tr></thead><tbody>",
    );
    let policy_now = [
        ("enforce", &r.current.enforce),
        ("audit", &r.current.audit),
        ("warn", &r.current.warn),
    ];
    let mut rows = planned_labels(ns);
    for mode in ["warn", "audit", "enforce"] {
        let Some((now, planned)) = rows.remove(mode) else {
            continue;
        };
        let effective = policy_now
            .iter()
            .find(|(m, _)| *m == mode)
            .map(|(_, p)| p.as_str())
            .unwrap_or_default();
        let now_text = if now.is_empty() {
            format!("<span class=\"none\">{} (default)</span>", esc(effective))
        } else {
            esc(&now)
        };
        let changed = if planned != now {
            " class=\"changed\""
        } else {
            ""
        };
        let planned_text = if planned.is_empty() {
            "<span class=\"none\">unchanged</span>".to_owned()
        } else {
            esc(&planned)
        };
        let _ = write!(
            out,
            "<tr><td class=\"mode\">{mode}</td><td>{now_text}</td><td{changed}>{planned_text}</td></tr>"
        );
    }
    out.push_str("</tbody></table>\n");
    if r.current.exempt {
        out.push_str("<p class=\"none\">Exempt by the cluster's configuration.</p>");
    }
    out.push_str("</div><div>\n");
    if let Some(next) = r.next_level {
        let _ = write!(
            out,
            "<h3>Blocking {next} ({})</h3>",
            objects(r.blockers.len())
        );
        offender_rows(out, &r.blockers);
    } else {
        out.push_str("<h3>Blockers</h3><p class=\"none\">None: everything passes restricted.</p>");
    }
    out.push_str("</div></div>\n<div class=\"steps-wrap\"><h3>Steps</h3>");
    if ns.steps.is_empty() {
        out.push_str(
            "<p class=\"none\">No label change: exempt it in the PodSecurityConfiguration below.</p>",
        );
    } else {
        out.push_str("<ol class=\"steps\">\n");
        for step in &ns.steps {
            let _ = write!(
                out,
                "<li class=\"step {}\" data-mode=\"{}\"><div class=\"step-head\"><strong>{}={}:{}</strong><span class=\"badge {}\">{}</span></div>",
                step.status.as_str(),
                step.mode,
                step.mode,
                step.level,
                esc(&step.version.to_string()),
                step.status.as_str(),
                step.status.as_str(),
            );
            if step.blockers.is_empty() {
                out.push_str(
                    "<p class=\"evidence\">Nothing in the namespace would be affected.</p>",
                );
            } else if step.status == Status::Blocked {
                let _ = write!(
                    out,
                    "<p class=\"evidence\">Fix first: {} {}.</p>",
                    objects(step.blockers.len()),
                    effect(step.mode)
                );
                offender_rows(out, &step.blockers);
                if let Some(fix) = &step.fix {
                    let _ = write!(
                        out,
                        "<div class=\"cmd fix\"><code>{}</code><button data-copy>copy</button></div>",
                        esc(fix)
                    );
                }
            } else {
                let names: Vec<String> = step
                    .blockers
                    .iter()
                    .map(|b| esc(&b.object.display()))
                    .collect();
                let _ = write!(
                    out,
                    "<p class=\"evidence\">{} {} (nothing is rejected): {}</p>",
                    objects(step.blockers.len()),
                    effect(step.mode),
                    names.join(", ")
                );
            }
            if step.status != Status::Done {
                let _ = write!(
                    out,
                    "<div class=\"cmd kubectl\"><code>{}</code><button data-copy>copy</button></div>",
                    esc(&step.kubectl)
                );
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ol>\n");
    }
    out.push_str("</div>\n</section>\n");
}
