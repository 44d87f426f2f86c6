// The web page served at `/`: one self-contained HTML file (no build step, no outside resources).
// Search movies by title, rate a few, and see recommendations for those ratings (fold-in) update;
// ask for the movies similar to one (among those with at least a chosen number of ratings).
#include "serve/page.h"

namespace mfrec {
namespace {

constexpr std::string_view kPage = R"PAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mfrec: rate movies, get recommendations</title>
<style>
  :root { --fg: #1d2430; --muted: #6b7280; --line: #e5e7eb; --accent: #2563eb; --star: #f59e0b; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f8fafc; }
  header { padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 20px; margin: 0; }
  header .info { color: var(--muted); font-size: 13px; }
  main { display: grid; grid-template-columns: minmax(320px, 1fr) minmax(320px, 1fr); gap: 20px; padding: 20px 24px; max-width: 1200px; margin: 0 auto; }
  @media (max-width: 760px) { main { grid-template-columns: 1fr; } }
  section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
  h2 { font-size: 16px; margin: 0 0 10px; }
  input[type=search] { width: 100%; padding: 9px 12px; font-size: 15px; border: 1px solid #cbd5e1; border-radius: 8px; }
  ul, ol { list-style: none; margin: 0; padding: 0; }
  .movie { display: flex; justify-content: space-between; align-items: center; gap: 10px; padding: 8px 0; border-bottom: 1px solid var(--line); }
  .movie:last-child { border-bottom: 0; }
  .title { font-weight: 600; }
  .genres { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 3px; }
  .genre { font-size: 11px; color: #334155; background: #eef2ff; border-radius: 999px; padding: 1px 8px; }
  .stars { white-space: nowrap; }
  .star { border: 0; background: none; cursor: pointer; font-size: 20px; line-height: 1; padding: 0 1px; color: #cbd5e1; }
  .star.on, .stars:hover .star { color: var(--star); }
  .stars .star:hover ~ .star { color: #cbd5e1; }
  .score { font-variant-numeric: tabular-nums; color: var(--muted); font-size: 13px; white-space: nowrap; }
  .rank { color: var(--muted); width: 2em; display: inline-block; }
  .similar { border: 1px solid var(--line); background: #fff; border-radius: 6px; cursor: pointer; color: var(--accent); font-size: 12px; margin-left: 6px; }
  #min-count { width: 5em; }
  .remove { border: 1px solid var(--line); background: #fff; border-radius: 6px; cursor: pointer; color: var(--muted); }
  .hint, #status { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
  .error { color: #b91c1c; }
</style>
</head>
<body>
<header><h1>mfrec</h1><span class="info" id="model-info">loading the model&hellip;</span></header>
<main>
  <section id="search-panel">
    <h2>Find movies you know</h2>
    <input type="search" id="search" placeholder="Search by title, e.g. toy story" autocomplete="off" autofocus>
    <ul id="results" aria-live="polite"></ul>
  </section>
  <div>
    <section id="mine-panel">
      <h2>Your ratings</h2>
      <ul id="mine"></ul>
      <p class="hint" id="mine-hint">Rate a few movies (click the stars) to get recommendations.</p>
    </section>
    <section id="recs-panel" style="margin-top:20px">
      <h2>Recommended for you</h2>
      <ol id="recommendations" aria-live="polite"></ol>
      <p id="status"></p>
    </section>
    <section id="similar-panel" style="margin-top:20px" hidden>
      <h2>Similar to <span id="similar-to"></span></h2>
      <label class="hint">among movies with at least <input type="number" id="min-count" min="0" value="20"> ratings</label>
      <ol id="similar" aria-live="polite"></ol>
      <p class="hint" id="similar-status"></p>
    </section>
  </div>
</main>
<script>
"use strict";
const ratings = new Map();  // item id -> {rating, item (title, genres)}
let recsSeq = 0, searchSeq = 0, searchTimer = null;

async function api(path, options) {
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((body.error && body.error.message) || res.statusText);
  return body;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function describe(item) {
  const box = el("div");
  box.appendChild(el("div", "title", item.title || ("item " + item.item)));
  const genres = el("div", "genres");
  for (const g of item.genres || []) genres.appendChild(el("span", "genre", g));
  box.appendChild(genres);
  return box;
}

function stars(item) {
  const box = el("span", "stars");
  const current = ratings.has(item.item) ? ratings.get(item.item).rating : 0;
  for (let r = 1; r <= 5; r++) {
    const b = el("button", "star" + (r <= current ? " on" : ""), "\u2605");
    b.type = "button";
    b.dataset.rating = r;
    b.title = r + (r === 1 ? " star" : " stars");
    b.addEventListener("click", () => rate(item, r));
    box.appendChild(b);
  }
  return box;
}

let similarItem = null, similarSeq = 0;
async function showSimilar(item) {
  similarItem = item;
  const seq = ++similarSeq;
  const panel = document.getElementById("similar-panel");
  panel.hidden = false;
  document.getElementById("similar-to").textContent = item.title || ("item " + item.item);
  const status = document.getElementById("similar-status");
  const minCount = document.getElementById("min-count").value || "0";
  try {
    const body = await api("/v1/similar?k=10&item=" + encodeURIComponent(item.item) + "&min_count=" + encodeURIComponent(minCount));
    if (seq !== similarSeq) return;
    const list = document.getElementById("similar");
    list.replaceChildren();
    for (const s of body.items) {
      const li = el("li", "movie sim");
      li.dataset.item = s.item;
      li.appendChild(describe(s));
      li.appendChild(el("span", "score", "cosine " + s.similarity.toFixed(2) + ", " + s.ratings + (s.ratings === 1 ? " rating" : " ratings")));
      list.appendChild(li);
    }
    status.className = "hint";
    status.textContent = body.items.length ? "Among movies with at least " + body.min_count + (body.min_count === 1 ? " rating." : " ratings.")
                                           : "Nothing is similar to it (nobody rated it in training).";
  } catch (e) {
    if (seq !== similarSeq) return;
    status.className = "error";
    status.textContent = "Could not get similar movies: " + e.message;
  }
}

function renderResults(items) {
  const list = document.getElementById("results");
  list.replaceChildren();
  for (const item of items) {
    const li = el("li", "movie");
    li.dataset.item = item.item;
    li.appendChild(describe(item));
    const right = el("span");
    right.appendChild(stars(item));
    const sim = el("button", "similar", "similar");
    sim.type = "button";
    sim.title = "movies similar to this one";
    sim.addEventListener("click", () => showSimilar(item));
    right.appendChild(sim);
    li.appendChild(right);
    list.appendChild(li);
  }
  if (!items.length) list.appendChild(el("li", "hint", "No movie matches."));
}

let lastResults = [];
async function search(q) {
  const seq = ++searchSeq;
  try {
    const body = await api("/v1/items?limit=15&q=" + encodeURIComponent(q));
    if (seq !== searchSeq) return;
    lastResults = body.items;
    renderResults(lastResults);
  } catch (e) {
    document.getElementById("results").replaceChildren(el("li", "error", "Search failed: " + e.message));
  }
}

function renderMine() {
  const list = document.getElementById("mine");
  list.replaceChildren();
  for (const [id, r] of ratings) {
    const li = el("li", "movie");
    li.dataset.item = id;
    li.appendChild(describe(r.item));
    const right = el("span");
    right.appendChild(stars(r.item));
    const rm = el("button", "remove", "\u00d7");
    rm.type = "button";
    rm.title = "forget this rating";
    rm.addEventListener("click", () => { ratings.delete(id); update(); });
    right.appendChild(rm);
    li.appendChild(right);
    list.appendChild(li);
  }
  document.getElementById("mine-hint").hidden = ratings.size > 0;
}

// A ranking model's score is only an order ("score 0.83"); a rating model's is a predicted rating
// ("predicted 4.12"). A rating model beside the lists' model adds its stars ("predicted 4.1").
function renderRecs(items, objective) {
  const list = document.getElementById("recommendations");
  list.replaceChildren();
  items.forEach((item, n) => {
    const li = el("li", "movie rec");
    li.dataset.item = item.item;
    const left = el("div");
    left.style.display = "flex";
    left.appendChild(el("span", "rank", (n + 1) + "."));
    left.appendChild(describe(item));
    li.appendChild(left);
    li.appendChild(stars(item));
    const both = item.predicted !== undefined;
    const label = objective === "ranking" || both ? "score " : "predicted ";
    li.appendChild(el("span", "score", label + item.score.toFixed(2)));
    if (both) li.appendChild(el("span", "score predicted", "predicted " + item.predicted.toFixed(1)));
    list.appendChild(li);
  });
}

async function refreshRecs() {
  const seq = ++recsSeq;
  const status = document.getElementById("status");
  status.className = "";
  if (!ratings.size) {
    renderRecs([], "");
    status.textContent = "Recommendations appear here once you rate a movie.";
    return;
  }
  status.textContent = "updating\u2026";
  const payload = { k: 10, ratings: [...ratings].map(([item, r]) => ({ item, rating: r.rating })) };
  try {
    const body = await api("/v1/foldin", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
    if (seq !== recsSeq) return;
    renderRecs(body.items, body.objective);
    status.textContent = "From your " + body.rated + (body.rated === 1 ? " rating" : " ratings") + " (model version " + body.model_version + ").";
  } catch (e) {
    if (seq !== recsSeq) return;
    status.className = "error";
    status.textContent = "Could not get recommendations: " + e.message;
  }
}

function update() {
  renderMine();
  renderResults(lastResults);
  refreshRecs();
}

function rate(item, rating) {
  ratings.set(item.item, { rating, item });
  update();
}

document.getElementById("min-count").addEventListener("change", () => { if (similarItem) showSimilar(similarItem); });

document.getElementById("search").addEventListener("input", (ev) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => search(ev.target.value.trim()), 150);
});

api("/healthz").then((h) => {
  document.getElementById("model-info").textContent =
    h.users + " users, " + h.items + " items, " + h.dim + " factors, " + h.objective + " model" +
    (h.rating_model ? " with a rating model" : "") + " (model version " + h.model_version + ")";
}).catch((e) => { document.getElementById("model-info").textContent = "model unavailable: " + e.message; });
search("");
renderMine();
refreshRecs();
</script>
</body>
</html>
)PAGE";

}  // namespace

std::string_view page_html() { return kPage; }

}  // namespace mfrec
