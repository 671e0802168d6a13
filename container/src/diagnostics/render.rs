//! The two renderers of a [`Scene`]: Graphviz DOT and Mermaid.

use std::fmt::Write as _;

use crate::error::DependencyKind;

use super::graph::{Class, Scene};

const PROBLEM: &str = "#dc3545";

/// Fill and border of each class of node.
fn colors(class: Class) -> (&'static str, &'static str) {
    match class {
        Class::Singleton => ("#cfe2ff", "#084298"),
        Class::Scoped => ("#d1e7dd", "#0f5132"),
        Class::Pooled => ("#fff3cd", "#997404"),
        Class::Transient => ("#f1f3f5", "#495057"),
        Class::Unbound => ("#f8d7da", "#842029"),
        Class::Missing => ("#ffffff", PROBLEM),
    }
}

/// A DOT string literal's content.
fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub(super) fn dot(scene: &Scene) -> String {
    let mut out = String::from("digraph tenure {\n");
    out.push_str(
        "  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11, style=\"filled\"];\n  \
         edge [fontname=\"Helvetica\", fontsize=9, color=\"#6c757d\", fontcolor=\"#495057\"];\n",
    );
    if !scene.notes.is_empty() {
        let notes: Vec<String> = scene.notes.iter().map(|n| dot_escape(n)).collect();
        let _ = writeln!(
            out,
            "  labelloc=b;\n  labeljust=l;\n  fontname=\"Helvetica\";\n  fontsize=10;\n  \
             label=\"{}\\l\";",
            notes.join("\\l")
        );
    }
    for n in &scene.nodes {
        let (fill, border) = colors(n.class);
        let (shape, style) = match n.class {
            Class::Singleton => ("box", "rounded,filled"),
            Class::Scoped => ("ellipse", "filled"),
            Class::Pooled => ("cylinder", "filled"),
            Class::Transient => ("box", "rounded,filled,dashed"),
            Class::Unbound => ("hexagon", "filled"),
            Class::Missing => ("box", "dashed"),
        };
        let (color, width) = match (n.problem, n.root) {
            (true, _) => (PROBLEM, "2.5"),
            (false, true) => (border, "2"),
            (false, false) => (border, "1"),
        };
        let _ = writeln!(
            out,
            "  {} [label=\"{}\\n{}\", shape={shape}, style=\"{style}\", fillcolor=\"{fill}\", \
             color=\"{color}\", penwidth={width}, tooltip=\"{}\"{}];",
            n.id,
            dot_escape(&n.name),
            dot_escape(&n.detail),
            dot_escape(&n.tooltip),
            if n.class == Class::Missing {
                format!(", fontcolor=\"{PROBLEM}\"")
            } else {
                String::new()
            },
        );
    }
    for e in &scene.edges {
        let mut attrs = vec![format!("label=\"{}\"", dot_escape(&e.label()))];
        match e.kind {
            DependencyKind::Optional => attrs.push("style=dashed".into()),
            DependencyKind::Collection => attrs.push("style=bold".into()),
            DependencyKind::Lazy => attrs.push("style=dotted".into()),
            DependencyKind::Factory => {
                attrs.push("style=dashed".into());
                attrs.push("arrowhead=onormal".into());
            }
            _ => {}
        }
        if e.to.starts_with('m') {
            attrs.push("style=dashed".into());
        }
        if let Some((mark, _)) = e.mark {
            attrs.push(format!(
                "color=\"{0}\", fontcolor=\"{0}\", penwidth=2.5",
                mark.color()
            ));
        }
        let _ = writeln!(out, "  {} -> {} [{}];", e.from, e.to, attrs.join(", "));
    }
    out.push_str("}\n");
    out
}

/// Mermaid label text: quotes and angle brackets as entity codes.
fn mermaid_escape(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace('|', "#124;")
}

pub(super) fn mermaid(scene: &Scene) -> String {
    let mut out = String::from("flowchart LR\n");
    for note in &scene.notes {
        let _ = writeln!(out, "  %% {note}");
    }
    for class in [
        Class::Singleton,
        Class::Scoped,
        Class::Pooled,
        Class::Transient,
        Class::Unbound,
        Class::Missing,
    ] {
        let (fill, border) = colors(class);
        let dash = match class {
            Class::Transient | Class::Missing => ",stroke-dasharray:5 3",
            _ => "",
        };
        let _ = writeln!(
            out,
            "  classDef {} fill:{fill},stroke:{border}{dash}",
            class.name()
        );
    }
    let _ = writeln!(out, "  classDef problem stroke:{PROBLEM},stroke-width:3px");
    let _ = writeln!(out, "  classDef root stroke-width:3px");
    for n in &scene.nodes {
        let (open, close) = match n.class {
            Class::Singleton => ("[[", "]]"),
            Class::Scoped => ("([", "])"),
            Class::Pooled => ("[(", ")]"),
            Class::Unbound => ("{{", "}}"),
            Class::Transient | Class::Missing => ("[", "]"),
        };
        let _ = writeln!(
            out,
            "  {}{open}\"{}<br/>{}\"{close}:::{}",
            n.id,
            mermaid_escape(&n.name),
            mermaid_escape(&n.detail),
            n.class.name()
        );
    }
    let mut styles = Vec::new();
    for (i, e) in scene.edges.iter().enumerate() {
        let arrow = match e.kind {
            DependencyKind::Collection => "==>",
            DependencyKind::Required if !e.to.starts_with('m') => "-->",
            _ => "-.->",
        };
        let _ = writeln!(
            out,
            "  {} {arrow}|\"{}\"| {}",
            e.from,
            mermaid_escape(&e.label()),
            e.to
        );
        if let Some((mark, _)) = e.mark {
            styles.push(format!(
                "  linkStyle {i} stroke:{},stroke-width:3px",
                mark.color()
            ));
        }
    }
    for n in &scene.nodes {
        if n.problem {
            let _ = writeln!(out, "  class {} problem", n.id);
        } else if n.root {
            let _ = writeln!(out, "  class {} root", n.id);
        }
    }
    for s in styles {
        out.push_str(&s);
        out.push('\n');
    }
    out
}
