"""repmgrd's status page (GET /) in a real headless browser (Debian's chromium):
it draws the cluster as a tree by upstream with roles, repmgrd's reasons and
events, from nothing but its own repmgrd, and after a failover the same page
load shows the new primary: it refreshes itself."""

import json
import os
import re
import urllib.request

import pytest

from pylib.browser import CHROMIUM, Browser
from pylib.clusters import make_cluster
from pylib.http import code, get, http_conf
from pylib.wait import wait_until

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="chromium is not installed (scripts/install-deps)")

# The tree as drawn: each node's id, its role badge and the id of the node it
# hangs under (null for a root), plus the page's own record of its refreshes.
TREE_JS = """JSON.stringify({
  nodes: [...document.querySelectorAll('li.node')].map(li => ({
    id: +li.dataset.nodeId,
    role: li.querySelector('.badge.role').textContent,
    answers: li.querySelector('.badge.answers').textContent,
    parent: li.parentElement.closest('li.node') ? +li.parentElement.closest('li.node').dataset.nodeId : null,
    witness: !!li.closest('#witnesses'),
  })),
  primary: document.getElementById('primary').textContent,
  refreshes: +(document.body.dataset.refreshes || 0),
  events: [...document.querySelectorAll('#events tbody tr')].map(tr => tr.cells[2].textContent),
  reasons: [...document.querySelectorAll('.reason')].map(e => e.textContent),
  problem: document.getElementById('problem').textContent,
})"""


def page_state(browser):
    return json.loads(browser.evaluate(TREE_JS))


@pytest.fixture
def browser(harness):
    opened = []

    def open_page(url):
        opened.append(Browser(url, harness.path("chromium.log")))
        return opened[-1]

    yield open_page
    for b in opened:
        b.close()


def test_page_is_self_contained(harness):
    primary = harness.primary("node1")
    http_conf(primary, 1)
    assert harness.repmgr("primary", "register", conf=primary.conf).returncode == 0
    harness.start_repmgrd(primary)
    wait_until(lambda: code(primary, "/status/cluster") == 200, timeout=30, what="first tick")
    with urllib.request.urlopen(f"http://127.0.0.1:{primary.http_port}/", timeout=5) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/html")
        csp = resp.headers["Content-Security-Policy"]
        body = resp.read().decode()
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp, csp
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp).group(1)
    assert f'<script nonce="{nonce}">' in body
    # No URL of any kind: nothing is loaded from anywhere but this repmgrd.
    assert not re.search(r"(?i)\b(https?:)?//[a-z0-9]", body), re.findall(r"\S*//\S*", body)
    assert "innerHTML" not in body
    assert get(primary, "/index.html")[0] == 200


@pytest.mark.slow
def test_page_draws_cluster_and_follows_failover_without_reload(harness, browser):
    primary, standbys, w, daemons = make_cluster(harness, write_conf=http_conf)
    node2, node3 = standbys
    for s in standbys:
        wait_until(lambda s=s: code(s, "/replica") == 200, timeout=30, what=f"{s.name} streaming")

    page = browser(f"http://127.0.0.1:{node2.http_port}/")
    page.wait_for("document.querySelectorAll('li.node').length == 4", timeout=30,
                  what="the page to draw the four nodes")
    state = page_state(page)
    nodes = {n["id"]: n for n in state["nodes"]}
    assert set(nodes) == {1, 2, 3, 4}, state
    assert state["primary"] == "node1", state
    assert (nodes[1]["role"], nodes[1]["parent"]) == ("primary", None), state
    assert (nodes[2]["role"], nodes[2]["parent"]) == ("standby", 1), state
    assert (nodes[3]["role"], nodes[3]["parent"]) == ("standby", 1), state
    assert nodes[4]["role"] == "witness" and nodes[4]["witness"], state
    assert nodes[2]["answers"] == "answers" and nodes[1]["answers"] == "answers", state
    # repmgrd's reasons, as "repmgr daemon status" has them, and the events.
    assert any("standby is running; upstream node 1 answers" in r for r in state["reasons"]), state
    assert "repmgrd_start" in state["events"], state
    assert state["problem"] == "", state

    # A mark only this page load carries: a reload would lose it.
    page.evaluate("window.loadMark = 'first-load'; 1")
    before = state["refreshes"]
    primary.kill9()
    winner = wait_until(lambda: next((s for s in standbys if code(s, "/primary") == 200), None),
                        timeout=90, interval=0.5, what="a standby to become the primary")
    other = node3 if winner is node2 else node2

    def shows_new_primary():
        st = page_state(page)
        nodes = {n["id"]: n for n in st["nodes"]}
        return (st["primary"] == winner.name and nodes[winner_id]["parent"] is None
                and nodes[other_id]["parent"] == winner_id and st)

    winner_id, other_id = int(winner.name[-1]), int(other.name[-1])
    state = wait_until(shows_new_primary, timeout=60, interval=0.5,
                       what=f"the same page to show {winner.name} as primary with "
                            f"{other.name} under it")
    assert page.evaluate("window.loadMark") == "first-load"  # never reloaded
    assert state["refreshes"] > before, state
    nodes = {n["id"]: n for n in state["nodes"]}
    assert nodes[winner_id]["role"] == "primary", state
    assert any("promote" in e for e in state["events"]), state
