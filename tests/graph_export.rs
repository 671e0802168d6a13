//! Graph export: the DOT renders through Graphviz's `dot`, the Mermaid text
//! has the expected nodes and edges (parsed, not byte-compared), and a
//! failed build's problems are drawn on the graph.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;

use tenure::{Container, ContainerBuilder, Factory, Lazy, Level, Lint};

trait Plugin: Send + Sync {}
struct Config;
struct Pool {
    _cfg: Arc<Config>,
}
struct Session {
    _pool: Arc<Pool>,
}
struct Metrics;
impl Plugin for Metrics {}
struct Conn;
struct Repo {
    _session: Arc<Session>,
    _conn: Arc<Conn>,
}
struct Report {
    _repo: Arc<Repo>,
    _plugins: Vec<Arc<dyn Plugin>>,
    _config: Option<Arc<Config>>,
    _later: Lazy<Pool>,
}
struct Worker {
    _repos: Factory<Repo>,
}

fn app() -> ContainerBuilder {
    let mut b = Container::builder();
    b.singleton(|| Config)
        .singleton(|_cfg: Arc<Config>| Pool { _cfg })
        .scoped(|_pool: Arc<Pool>| Session { _pool })
        .singleton(|| Metrics)
        .collect::<dyn Plugin, Metrics>(|p| p)
        .pooled(4, || Conn)
        .transient(|_session: Arc<Session>, _conn: Arc<Conn>| Repo { _session, _conn })
        .transient(
            |_repo: Arc<Repo>,
             _plugins: Vec<Arc<dyn Plugin>>,
             _config: Option<Arc<Config>>,
             _later: Lazy<Pool>| Report {
                _repo,
                _plugins,
                _config,
                _later,
            },
        )
        .singleton(|_repos: Factory<Repo>| Worker { _repos });
    b
}

/// Renders `dot` with Graphviz; `None` (with the reason printed) only when
/// `dot` is not installed and this is not CI.
fn render(dot: &str) -> Option<String> {
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if std::env::var_os("CI").is_none() => {
            println!("skipped: Graphviz's `dot` is not available ({e}); `.ci/run` installs it");
            return None;
        }
        Err(e) => panic!("CI is set, and Graphviz's `dot` is not available: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot failed: {}\n{dot}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Warnings (a missing font on a bare machine) are not the graph's fault.
    if !out.stderr.is_empty() {
        println!("dot said: {}", String::from_utf8_lossy(&out.stderr));
    }
    Some(String::from_utf8(out.stdout).unwrap())
}

#[derive(Debug, PartialEq, Eq)]
struct MNode {
    id: String,
    shape: String,
    label: String,
    class: String,
}

#[derive(Debug, PartialEq, Eq)]
struct MEdge {
    from: String,
    arrow: String,
    label: String,
    to: String,
}

/// The nodes, edges, styled links and classed nodes of a Mermaid flowchart.
struct Mermaid {
    nodes: Vec<MNode>,
    edges: Vec<MEdge>,
    link_styles: Vec<(usize, String)>,
    classes: Vec<(String, String)>,
    comments: Vec<String>,
}

fn parse(text: &str) -> Mermaid {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"));
    let mut m = Mermaid {
        nodes: Vec::new(),
        edges: Vec::new(),
        link_styles: Vec::new(),
        classes: Vec::new(),
        comments: Vec::new(),
    };
    for line in lines.map(str::trim) {
        if let Some(c) = line.strip_prefix("%% ") {
            m.comments.push(c.to_owned());
        } else if line.starts_with("classDef ") {
        } else if let Some(rest) = line.strip_prefix("linkStyle ") {
            let (i, style) = rest.split_once(' ').unwrap();
            m.link_styles.push((i.parse().unwrap(), style.to_owned()));
        } else if let Some(rest) = line.strip_prefix("class ") {
            let (id, class) = rest.split_once(' ').unwrap();
            m.classes.push((id.to_owned(), class.to_owned()));
        } else if line.contains("|\"") {
            let (from, rest) = line.split_once(' ').unwrap();
            // `from ARROW|"label"| to`
            let (arrow, rest) = rest.split_once('|').unwrap();
            let (label, to) = rest.rsplit_once("| ").unwrap();
            m.edges.push(MEdge {
                from: from.to_owned(),
                arrow: arrow.to_owned(),
                label: label.trim_matches('"').to_owned(),
                to: to.to_owned(),
            });
        } else {
            // `id<open>"label"<close>:::class`
            let open = line.find('"').unwrap();
            let close = line.rfind('"').unwrap();
            let (rest, class) = line.rsplit_once(":::").unwrap();
            m.nodes.push(MNode {
                id: line[..open].trim_end_matches(['[', '(', '{']).to_owned(),
                shape: format!("{}{}", &line[..open], &rest[close + 1..])
                    .trim_start_matches(|c: char| c.is_alphanumeric())
                    .to_owned(),
                label: line[open + 1..close].to_owned(),
                class: class.to_owned(),
            });
        }
    }
    m
}

impl Mermaid {
    fn node(&self, name: &str) -> &MNode {
        self.nodes
            .iter()
            .find(|n| n.label.split("<br/>").next() == Some(name))
            .unwrap_or_else(|| panic!("no node {name}: {:#?}", self.nodes))
    }

    /// `(from, label, to)` by node names.
    fn edge_names(&self) -> Vec<(String, String, String)> {
        let name = |id: &str| {
            let n = self.nodes.iter().find(|n| n.id == id).unwrap();
            n.label.split("<br/>").next().unwrap().to_owned()
        };
        self.edges
            .iter()
            .map(|e| (name(&e.from), e.label.clone(), name(&e.to)))
            .collect()
    }
}

fn triples(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn the_mermaid_text_has_a_node_per_service_shaped_by_lifetime_and_an_edge_per_dependency() {
    let m = parse(&app().describe().graph().to_mermaid());
    let shapes: Vec<_> = m
        .nodes
        .iter()
        .map(|n| (n.label.as_str(), n.shape.as_str(), n.class.as_str()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("Config<br/>singleton", "[[]]", "singleton"),
            ("Pool<br/>singleton", "[[]]", "singleton"),
            ("Session<br/>scoped", "([])", "scoped"),
            ("Metrics<br/>singleton", "[[]]", "singleton"),
            ("Conn<br/>pooled (4)", "[()]", "pooled"),
            ("Repo<br/>transient", "[]", "transient"),
            ("Report<br/>transient", "[]", "transient"),
            ("Worker<br/>singleton", "[[]]", "singleton"),
        ]
    );
    assert_eq!(
        m.edge_names(),
        triples(&[
            ("Pool", "required", "Config"),
            ("Session", "required", "Pool"),
            ("Repo", "required", "Session"),
            ("Repo", "required", "Conn"),
            ("Report", "required", "Repo"),
            ("Report", "collection as dyn Plugin", "Metrics"),
            ("Report", "optional", "Config"),
            ("Report", "lazy", "Pool"),
            ("Worker", "factory", "Repo"),
        ])
    );
    let arrows: Vec<_> = m.edges.iter().map(|e| e.arrow.as_str()).collect();
    assert_eq!(
        arrows,
        [
            "-->", "-->", "-->", "-->", "-->", "==>", "-.->", "-.->", "-.->"
        ]
    );
    assert!(m.link_styles.is_empty() && m.classes.is_empty() && m.comments.is_empty());
}

#[test]
fn the_dot_renders_through_graphviz() {
    let dot = app().describe().graph().to_dot();
    assert!(dot.starts_with("digraph tenure {"), "{dot}");
    let Some(svg) = render(&dot) else { return };
    assert!(svg.contains("<svg"), "{svg}");
    for name in ["Config", "Session", "Conn", "Worker"] {
        assert!(svg.contains(&format!(">{name}</text>")), "{name} in {svg}");
    }
    assert!(svg.contains(">collection as dyn Plugin</text>"), "{svg}");
}

struct AuditHelper {
    _repo: Arc<Repo>,
}
struct Smtp;
struct Mailer {
    _smtp: Arc<Smtp>,
}
struct Ping {
    _pong: Arc<Pong>,
}
struct Pong {
    _ping: Arc<Ping>,
}

/// The app, with a captive singleton, a missing dependency and a cycle.
fn broken() -> ContainerBuilder {
    let mut b = app();
    b.singleton(|_repo: Arc<Repo>| AuditHelper { _repo })
        .singleton(|_smtp: Arc<Smtp>| Mailer { _smtp })
        .transient(|_pong: Arc<Pong>| Ping { _pong })
        .transient(|_ping: Arc<Ping>| Pong { _ping });
    b
}

#[test]
fn problems_are_drawn_captive_paths_red_cycles_marked_missing_dashed() {
    let b = broken();
    let err = b.build().unwrap_err();
    let codes: Vec<_> = err.problems().iter().map(|p| p.code()).collect();
    // Two captive paths: the singleton holds the scoped session and the
    // pooled connection through the repository.
    assert_eq!(codes, ["T0002", "T0003", "T0001", "T0001"]);
    let m = parse(&b.describe().graph().with_problems(&err).to_mermaid());

    // The missing dependency: a dashed placeholder node.
    let smtp = m.node("Smtp");
    assert_eq!(smtp.class, "missing");
    assert!(smtp.label.ends_with("not registered"));
    // Each problem's first line is a note.
    assert_eq!(m.comments.len(), 4);
    assert!(m.comments[2].starts_with("captive dependency [T0001]: singleton"));

    let styled = |from: &str, to: &str| {
        let i = m
            .edge_names()
            .iter()
            .position(|(f, _, t)| f == from && t == to)
            .unwrap_or_else(|| panic!("no edge {from} -> {to}"));
        (
            m.edges[i].label.clone(),
            m.link_styles
                .iter()
                .find(|(j, _)| *j == i)
                .map(|(_, s)| s.clone()),
        )
    };
    let red = Some("stroke:#dc3545,stroke-width:3px".to_owned());
    let orange = Some("stroke:#fd7e14,stroke-width:3px".to_owned());
    assert_eq!(
        styled("AuditHelper", "Repo"),
        ("required [T0001]".into(), red.clone())
    );
    assert_eq!(
        styled("Repo", "Session"),
        ("required [T0001]".into(), red.clone())
    );
    assert_eq!(
        styled("Repo", "Conn"),
        ("required [T0001]".into(), red.clone())
    );
    assert_eq!(
        styled("Mailer", "Smtp"),
        ("required [T0002]".into(), red.clone())
    );
    assert_eq!(
        styled("Ping", "Pong"),
        ("required [T0003]".into(), orange.clone())
    );
    assert_eq!(styled("Pong", "Ping"), ("required [T0003]".into(), orange));
    // What is not on a problem's path stays plain.
    assert_eq!(styled("Report", "Repo"), ("required".into(), None));
    assert_eq!(styled("Session", "Pool"), ("required".into(), None));
    let outlined: Vec<_> = m
        .classes
        .iter()
        .filter(|(_, c)| c == "problem")
        .map(|(id, _)| m.nodes.iter().find(|n| &n.id == id).unwrap().label.clone())
        .map(|l| l.split("<br/>").next().unwrap().to_owned())
        .collect();
    assert_eq!(
        outlined,
        [
            "Session",
            "Conn",
            "Repo",
            "AuditHelper",
            "Mailer",
            "Ping",
            "Pong",
            "Smtp"
        ]
    );

    // The DOT of the same drawing renders, with the path in red.
    let dot = b.describe().graph().with_problems(&err).to_dot();
    assert!(
        dot.contains("[label=\"required [T0001]\", color=\"#dc3545\""),
        "{dot}"
    );
    assert!(dot.contains("style=dashed"), "{dot}");
    if let Some(svg) = render(&dot) {
        assert!(svg.contains(">Smtp</text>"), "{svg}");
        assert!(svg.contains("captive dependency [T0001]"), "{svg}");
    }
}

#[test]
fn a_denied_lint_is_drawn_on_its_path() {
    struct Tx;
    struct Audit {
        _tx: Arc<Tx>,
    }
    let mut b = Container::builder();
    b.transient(|| Tx)
        .dispose_with::<Tx, _, _, std::io::Error>(|_| async { Ok(()) })
        .singleton(|_tx: Arc<Tx>| Audit { _tx })
        .lint(Lint::HeldDisposableTransient, Level::Deny);
    let err = b.build().unwrap_err();
    let m = parse(&b.describe().graph().with_problems(&err).to_mermaid());
    assert_eq!(m.edges[0].label, "required [L0001]");
    assert_eq!(
        m.link_styles,
        [(0, "stroke:#6f42c1,stroke-width:3px".to_owned())]
    );
}

#[test]
fn a_subgraph_keeps_what_one_service_reaches() {
    let d = app().describe();
    let m = parse(&d.graph().reachable_from::<Repo>().to_mermaid());
    let names: Vec<_> = m
        .nodes
        .iter()
        .map(|n| n.label.split("<br/>").next().unwrap())
        .collect();
    assert_eq!(names, ["Config", "Pool", "Session", "Conn", "Repo"]);
    assert_eq!(
        m.edge_names(),
        triples(&[
            ("Pool", "required", "Config"),
            ("Session", "required", "Pool"),
            ("Repo", "required", "Session"),
            ("Repo", "required", "Conn"),
        ])
    );
    // A factory handle is followed, as `build_for` follows it.
    let worker = parse(&d.graph().reachable_from::<Worker>().to_mermaid());
    assert_eq!(worker.nodes.len(), 6);
    // Through a binding, as a collection.
    let plugins = parse(&d.graph().reachable_from::<dyn Plugin>().to_mermaid());
    assert_eq!(plugins.nodes.len(), 1);
    // Not registered: nothing drawn, and a note.
    struct Nowhere;
    let none = parse(&d.graph().reachable_from::<Nowhere>().to_mermaid());
    assert!(none.nodes.is_empty());
    assert!(none.comments[0].ends_with("Nowhere` is not registered"));
    if let Some(svg) = render(&d.graph().reachable_from::<Repo>().to_dot()) {
        assert!(!svg.contains(">Worker</text>"));
    }
}
