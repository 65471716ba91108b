"""Each opportunity's own small picture: what it shows, and how it is drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from registry.analysis.diagram import MAX_NODES, Node, opportunity_diagram
from registry.svg.opportunity import opportunity_svg
from registry.svg.style import FONT

SVG = "{http://www.w3.org/2000/svg}"


def test_a_reuse_links_the_project_to_the_capability_and_its_providers():
    d = opportunity_diagram({"type": "reuse", "projects": ["ev"], "link": {
        "component": "brugis", "capability": "geo", "alternatives": ["geoportal"]}})
    assert d.columns == (("project", (Node("project", "ev"),)),
                         ("capability", (Node("capability", "geo"),)),
                         ("component", (Node("component", "brugis"),
                                        Node("component", "geoportal"))))
    assert d.edges == ((0, 0, 0), (1, 0, 0), (1, 0, 1))


def test_a_large_group_is_cut_with_a_count_of_the_rest():
    listed = [f"p{i}" for i in range(10)]
    d = opportunity_diagram({"type": "pooling", "projects": listed,
                             "link": {"capability": "c", "project_count": 3000}})
    role, nodes = d.columns[0]
    assert role == "projects" and len(nodes) == MAX_NODES
    assert nodes[-1] == Node("more", str(3000 - (MAX_NODES - 1)))
    assert d.edges == tuple((0, i, 0) for i in range(MAX_NODES))


def test_data_sharing_puts_producers_and_users_on_either_side_of_the_entity():
    d = opportunity_diagram({"type": "data-sharing", "projects": ["a", "b", "c"],
                             "link": {"entity": "E", "producers": ["b"], "project_count": 3}})
    assert [role for role, _ in d.columns] == ["producers", "entity", "users"]
    assert d.columns[0][1] == (Node("project", "b"),)
    assert d.columns[2][1] == (Node("project", "a"), Node("project", "c"))
    assert d.edges == ((0, 0, 0), (1, 0, 0), (1, 0, 1))


def test_a_divergence_links_each_project_to_the_standards_it_declares():
    d = opportunity_diagram({"type": "standard-divergence", "projects": ["a", "b"],
                             "link": {"entity": "E", "standards": ["s1", "s2", "s3"]}},
                            {"a": {"s1", "s2"}, "b": {"s3", "other"}})
    assert d.edges == ((0, 0, 0), (0, 0, 1), (0, 1, 2))


def test_an_overlap_with_only_words_in_common_shows_the_words():
    d = opportunity_diagram({"type": "overlap", "projects": ["a", "b"], "link": {
        "capabilities": [], "entities": [], "words": ["air", "sensor", "network", "x"]}})
    assert d.columns[1] == ("common", (Node("word", "air"), Node("word", "sensor"),
                                       Node("word", "network")))
    assert d.edges == ((0, 0, 0), (0, 0, 1), (0, 0, 2), (1, 0, 0), (1, 1, 0), (1, 2, 0))


def test_the_picture_names_every_node_in_12_px_and_escapes_it():
    long = "A project whose title is far too long to be written whole in a box <&>"
    svg = opportunity_svg([("Projects", [long, "B"]), ("Capability", ["C"])],
                          [(0, 0, 0), (0, 1, 0), (0, 5, 0)], kind="pooling", title="T <1>",
                          description="D", id_prefix="opp-x")
    root = ET.fromstring(svg)  # well-formed: every text escaped
    assert root.get("role") == "img" and root.get("font-size") == str(FONT)
    assert all(t.get("font-size") is None for t in root.iter(f"{SVG}text"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[:1] == ["Projects"] and "B" in texts and "C" in texts
    assert any(t and t.endswith("\u2026") for t in texts)  # shortened, whole in its title
    assert long in [t.text for t in root.iter(f"{SVG}title")]
    assert len(list(root.iter(f"{SVG}path"))) == 2  # a link to a missing node is skipped
    assert svg == opportunity_svg([("Projects", [long, "B"]), ("Capability", ["C"])],
                                  [(0, 0, 0), (0, 1, 0), (0, 5, 0)], kind="pooling",
                                  title="T <1>", description="D", id_prefix="opp-x")
