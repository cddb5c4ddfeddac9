// The explorer's page: drawings to choose from, the keyframe strip, the loop's preview, saving.
// Everything comes from the server that served this page; the token it wrote into the page goes with
// every request, so no other site's page can use the server.
"use strict";

const config = JSON.parse(document.getElementById("config").textContent);
const $ = (id) => document.getElementById(id);

const state = {
  source: "seed",              // "seed" or a latent file's id
  seed: config.seed,
  pages: 0,                    // pages of the source shown in the grid
  truncation: config.truncation,
  keyframes: [],               // {ref, label, title, image, key}
  frames: config.frames,
  fps: config.fps,
  interpolation: config.interpolation,
  pace: config.pace,
  files: config.files.slice(),
};
// What tests and the bench read: timings in ms, the preview's frames drawn, its player (below).
const explore = (window.explore = { state, timings: {}, draws: [], gridLoads: 0 });
// This page load's id, sent with its loops: the server stops placing an older loop's even pace when this
// page asks for a newer loop (another page open on the explorer keeps its own).
const pageId = Array.from(crypto.getRandomValues(new Uint32Array(2)), (number) => number.toString(36)).join("");

// ---- talking to the server ----

async function api(path, body, { signal, headers = {} } = {}) {
  const options = { method: body === undefined ? "GET" : "POST", signal,
    headers: { "X-Explore-Token": config.token, ...headers } };
  if (body instanceof Blob) {
    options.body = body;
  } else if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, options);
  if (!response.ok) {
    let answer = {};
    try { answer = await response.json(); } catch (_) { /* not JSON: say the status */ }
    const error = new Error(answer.error || `the server answered ${response.status}`);
    error.exists = answer.exists === true;
    throw error;
  }
  return response;
}

function refKey(ref) {
  return "seed" in ref ? `s${ref.seed}:${ref.index}` : `${ref.file}:${ref.row}`;
}

// ---- messages ----

let messageTimer = null;

// A line at the bottom of the page: errors and questions stay until closed, news goes after a while.
function say(text, { error = false, action = null } = {}) {
  clearTimeout(messageTimer);
  if (!error && !action) messageTimer = setTimeout(() => { $("message").hidden = true; }, 4000);
  $("message-text").textContent = text;
  $("message").classList.toggle("error", error);
  $("message").hidden = false;
  const button = $("message-action");
  button.hidden = !action;
  if (action) {
    button.textContent = action.label;
    button.onclick = () => { $("message").hidden = true; action.run(); };
  }
}

function failed(error) {
  if (error.name !== "AbortError") say(error.message, { error: true });
}

// ---- where the drawings come from ----

function fileById(id) {
  return state.files.find((file) => file.id === id);
}

function renderTabs() {
  const tabs = [{ id: "seed", text: "seeded" }, ...state.files.map((file) => ({
    id: file.id, text: `${file.name.split("/").filter(Boolean).pop()} (${file.count})`,
    title: `${file.name}: ${file.count} latents${file.note ? ", " + file.note : ""}` }))];
  $("tabs").replaceChildren(...tabs.map((tab) => {
    const button = document.createElement("button");
    button.type = "button";
    button.setAttribute("role", "tab");
    button.setAttribute("aria-selected", String(tab.id === state.source));
    button.dataset.source = tab.id;
    button.textContent = tab.text;
    if (tab.title) button.title = tab.title;
    button.onclick = () => chooseSource(tab.id);
    return button;
  }));
  $("seed-bar").hidden = state.source !== "seed";
  const file = fileById(state.source);
  $("file-bar").hidden = !file;
  if (file) {
    $("file-bar").textContent = `${file.name}: ${file.count} latents${file.note ? " (" + file.note + ")" : ""}`;
  }
}

function chooseSource(source) {
  state.source = source;
  renderTabs();
  loadGrid();
}

async function upload(files) {
  for (const file of files) {
    try {
      const answer = await (await api("/api/upload", file,
        { headers: { "X-File-Name": encodeURIComponent(file.name), "Content-Type": "application/octet-stream" } })).json();
      state.files.push(answer.source);
      say(`${answer.source.name}: ${answer.source.count} latents added`);
      chooseSource(answer.source.id);
    } catch (error) {
      failed(error);
    }
  }
  $("upload").value = "";
}

// ---- the grid of drawings ----

let gridGeneration = 0;

function drawingButton(item) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "drawing";
  button.title = item.title;
  button.dataset.key = refKey(item.ref);
  const image = new Image();
  image.src = item.image;
  image.alt = item.title;
  const label = document.createElement("span");
  label.className = "label";
  label.textContent = item.label;
  const badge = document.createElement("span");
  badge.className = "badge";
  button.append(image, label, badge);
  button.onclick = () => addKeyframe(item);
  return button;
}

// Pages of drawings, each asked for in requests of `grid_batch` (all 16 at once but on a slow model),
// shown as they come.
async function loadPages(first, last, generation) {
  let more = true;
  for (let page = first; page < last && more; page++) {
    const started = performance.now();
    const end = (page + 1) * config.page_size;
    for (let start = page * config.page_size; start < end && more; start += config.grid_batch) {
      const body = { source: state.source, seed: state.seed, start, count: Math.min(config.grid_batch, end - start),
        truncation: state.truncation };
      const answer = await (await api("/api/drawings", body)).json();
      if (generation !== gridGeneration) return;
      const buttons = answer.items.map(drawingButton);
      $("grid").append(...buttons);
      await Promise.all(buttons.map((button) => button.firstChild.decode().catch(() => null)));
      more = answer.more;
      explore.timings.firstDrawing = explore.timings.firstDrawing || performance.now() - started;
      markChosen();
    }
    explore.timings.grid = explore.timings.grid || { request: performance.now() - started, sinceLoad: performance.now() };
    state.pages = page + 1;
  }
  $("more").hidden = !more;
}

// The grid from its first page, as many pages as were shown (a new truncation keeps the pages).
async function loadGrid({ keepPages = false } = {}) {
  const generation = ++gridGeneration;
  const pages = keepPages ? Math.max(1, state.pages) : 1;
  $("grid").replaceChildren();
  $("more").disabled = true;
  try {
    await loadPages(0, pages, generation);
    if (generation === gridGeneration) explore.gridLoads += 1;
  } catch (error) {
    failed(error);
  } finally {
    if (generation === gridGeneration) $("more").disabled = false;
  }
}

async function loadMore() {
  $("more").disabled = true;
  try {
    await loadPages(state.pages, state.pages + 1, gridGeneration);
  } catch (error) {
    failed(error);
  } finally {
    $("more").disabled = false;
  }
}

function markChosen() {
  const positions = new Map();
  state.keyframes.forEach((keyframe, index) => {
    positions.set(keyframe.key, [...(positions.get(keyframe.key) || []), index + 1]);
  });
  for (const button of $("grid").children) {
    const chosen = positions.get(button.dataset.key);
    button.classList.toggle("chosen", Boolean(chosen));
    button.querySelector(".badge").textContent = chosen ? chosen.join(", ") : "";
  }
}

// ---- the keyframe strip ----

function stripLabel(item) {
  if ("seed" in item.ref) return `seed ${item.ref.seed} #${item.ref.index}`;
  const file = fileById(item.ref.file);
  return `${file ? file.name.split("/").filter(Boolean).pop() : item.ref.file} #${item.ref.row}`;
}

function addKeyframe(item) {
  state.keyframes.push({ ref: item.ref, image: item.image, title: item.title, label: stripLabel(item),
    key: refKey(item.ref) });
  stripChanged();
}

function moveKeyframe(from, to) {
  if (to < 0 || to >= state.keyframes.length || from === to) return;
  const [moved] = state.keyframes.splice(from, 1);
  state.keyframes.splice(to, 0, moved);
  stripChanged();
}

function removeKeyframe(index) {
  state.keyframes.splice(index, 1);
  stripChanged();
}

function actionButton(className, text, title, run) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = text;
  button.title = title;
  button.onclick = run;
  return button;
}

let dragged = null;

function keyframeItem(keyframe, index) {
  const item = document.createElement("li");
  item.className = "keyframe";
  item.draggable = true;
  item.title = keyframe.title;
  const order = document.createElement("span");
  order.className = "order";
  order.textContent = index + 1;
  const image = new Image();
  image.src = keyframe.image;
  image.alt = keyframe.label;
  image.draggable = false;
  const label = document.createElement("div");
  label.className = "label";
  label.textContent = keyframe.label;
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(
    actionButton("move-left", "◀", "earlier in the loop", () => moveKeyframe(index, index - 1)),
    actionButton("move-right", "▶", "later in the loop", () => moveKeyframe(index, index + 1)),
    actionButton("remove", "✕", "remove from the loop", () => removeKeyframe(index)));
  item.append(order, image, label, actions);
  item.addEventListener("dragstart", (event) => {
    dragged = index;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
  });
  item.addEventListener("dragend", () => item.classList.remove("dragging"));
  item.addEventListener("dragover", (event) => {
    event.preventDefault();
    item.classList.add("drop-before");
  });
  item.addEventListener("dragleave", () => item.classList.remove("drop-before"));
  item.addEventListener("drop", (event) => {
    event.preventDefault();
    item.classList.remove("drop-before");
    if (dragged !== null) moveKeyframe(dragged, dragged < index ? index - 1 : index);
    dragged = null;
  });
  return item;
}

function stripChanged() {
  $("strip").replaceChildren(...state.keyframes.map(keyframeItem));
  const count = state.keyframes.length;
  $("keyframe-count").textContent = count ? `(${count})` : "";
  $("strip-empty").hidden = count > 0;
  markChosen();
  previewChanged();
}

async function refreshStripImages() {
  if (!state.keyframes.length) return;
  const keyframes = state.keyframes.slice();
  try {
    const answer = await (await api("/api/images",
      { refs: keyframes.map((keyframe) => keyframe.ref), truncation: state.truncation })).json();
    keyframes.forEach((keyframe, index) => { keyframe.image = answer.images[index]; });
    $("strip").replaceChildren(...state.keyframes.map(keyframeItem));
  } catch (error) {
    failed(error);
  }
}

// ---- the preview ----

const player = { loop: null, abort: null, playing: true, shown: -1, due: 0, timer: null, changedAt: 0,
  evening: false };
explore.player = player;
const canvas = $("preview");
const context = canvas.getContext("2d");

function loopSettings() {
  return { frames: state.frames, interpolation: state.interpolation, pace: state.pace, fps: state.fps,
    truncation: state.truncation };
}

function previewChanged() {
  player.changedAt = player.timer === null ? performance.now() : player.changedAt;
  clearTimeout(player.timer);
  player.timer = setTimeout(startPreview, 120);
}

async function startPreview() {
  player.timer = null;
  const changedAt = player.changedAt;
  if (player.abort) player.abort.abort();
  player.loop = null;
  player.shown = -1;
  player.due = 0;
  player.evening = false;
  const enough = state.keyframes.length >= 2;
  $("preview-empty").hidden = enough;
  $("play").hidden = !enough;
  $("preview-note").textContent = "";
  if (!enough) {
    context.clearRect(0, 0, canvas.width, canvas.height);
    $("preview-status").textContent = "";
    return;
  }
  const abort = (player.abort = new AbortController());
  $("preview-status").textContent = "rendering…";
  try {
    const body = { keyframes: state.keyframes.map((keyframe) => keyframe.ref), ...loopSettings(), page: pageId };
    const answer = await (await api("/api/loop", body, { signal: abort.signal })).json();
    const loop = newLoop(answer, changedAt);
    player.loop = loop;
    player.evening = answer.evening;
    $("preview-note").textContent = answer.note;
    await fetchFrames(loop, abort.signal);
    if (answer.evening && !abort.signal.aborted) await evenPace(loop, abort.signal);
  } catch (error) {
    failed(error);
  } finally {
    if (player.abort === abort) player.evening = false;
  }
}

function newLoop(answer, changedAt) {
  return { ...answer, frames: new Array(answer.count), loaded: 0, changedAt };
}

// The even pace costs the server seconds: the loop plays at the latent pace meanwhile, and the even loop
// takes over once all its frames are here, at its first frame at or after the place on the loop the
// latent one was about to show (the loop goes on where it was, only its timing changes).
async function evenPace(latent, signal) {
  const answer = await (await api(`/api/loop/${latent.loop}/even`, {}, { signal })).json();
  const even = newLoop(answer, latent.changedAt);
  await fetchFrames(even, signal);
  if (signal.aborted) return;
  const time = latent.times[(player.shown + 1) % latent.count];
  const next = Math.max(0, even.times.findIndex((at) => at >= time));
  player.shown = (next - 1 + even.count) % even.count;
  player.loop = even;
  player.evening = false;
  explore.timings.evenPlaying = performance.now() - latent.changedAt;
}

// Frames in chunks, small first so the first frame shows at once, then as many as the machine makes in
// half a second (a change waits for the chunk being made).
async function fetchFrames(loop, signal) {
  let count = config.first_frames;
  while (loop.loaded < loop.count && !signal.aborted) {
    const response = await api(`/api/loop/${loop.loop}/frames?start=${loop.loaded}&count=${count}`,
      undefined, { signal });
    const got = Number(response.headers.get("X-Frames"));
    const bitmap = await createImageBitmap(await response.blob());
    for (let offset = 0; offset < got; offset++) loop.frames[loop.loaded + offset] = { bitmap, top: offset * loop.side };
    loop.loaded += got;
    count = Math.min(count * 2, config.frames_batch);
  }
}

function drawFrame(loop, index, now) {
  const frame = loop.frames[index];
  context.imageSmoothingQuality = "high";
  context.drawImage(frame.bitmap, 0, frame.top, loop.side, loop.side, 0, 0, canvas.width, canvas.height);
  if (player.shown < 0) explore.timings.previewFirstFrame = now - loop.changedAt;
  player.shown = index;
  explore.draws.push(now);
  if (explore.draws.length > 600) explore.draws.splice(0, 300);
}

function showStatus(loop, now) {
  const recent = explore.draws.filter((time) => now - time < 1000).length;
  const loading = loop.loaded < loop.count ? `, loading ${loop.loaded}/${loop.count}` : "";
  const evening = player.evening ? " · evening the pace…" : "";
  const frame = player.shown * loop.step;
  $("preview-status").textContent = player.playing
    ? `frame ${frame} of ${loop.total} · ${recent} frames/s${loading}${evening}`
    : `paused at frame ${frame} of ${loop.total}${evening}`;
}

// Each preview frame stands for `step` frames of the loop, so the loop plays at its own speed; a frame
// not loaded yet holds the one before it.
function tick(now) {
  requestAnimationFrame(tick);
  const loop = player.loop;
  if (!loop) return;
  const frameTime = (1000 * loop.step) / loop.fps;
  if (player.playing && now >= player.due) {
    const next = (player.shown + 1) % loop.count;
    if (loop.frames[next]) {
      drawFrame(loop, next, now);
      player.due = now - player.due < frameTime ? player.due + frameTime : now + frameTime;
    }
  }
  if (Math.floor(now / 250) !== Math.floor(player.lastStatus / 250)) showStatus(loop, now);
  player.lastStatus = now;
}

function togglePlay() {
  player.playing = !player.playing;
  $("play").textContent = player.playing ? "pause" : "play";
}

// ---- saving ----

// A command line as a shell takes it, an option a line (each line but the last ends in a backslash);
// copy takes it on one line.
function showCommand(id, command) {
  $(id).textContent = command.split(" --").join(" \\\n  --");
  $(id).dataset.command = command;
}

async function save(replace = false) {
  const name = $("save-name").value.trim();
  const body = { name, keyframes: state.keyframes.map((keyframe) => keyframe.ref), ...loopSettings(), replace };
  try {
    const answer = await (await api("/api/save", body)).json();
    $("saved-npy").textContent = answer.npy;
    $("saved-json").textContent = answer.json.split("/").pop();
    $("saved-cwd").textContent = answer.cwd;
    showCommand("path-command", answer.path_command);
    showCommand("mp4-command", answer.mp4_command);
    $("saved").hidden = false;
    say(`saved ${answer.npy}`);
  } catch (error) {
    if (error.exists && !replace) {
      say(error.message, { action: { label: "replace", run: () => save(true) } });
    } else {
      failed(error);
    }
  }
}

// ---- wiring ----

function numberInput(id, key, { min, max, integer = false, onChange }) {
  const input = $(id);
  input.value = state[key];
  input.addEventListener("change", () => {
    const value = Number(input.value);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      say(`${id}: give a${integer ? " whole" : ""} number from ${min} to ${max}`, { error: true });
      input.value = state[key];
      return;
    }
    state[key] = value;
    onChange();
  });
}

function fillSelect(id, values, chosen) {
  $(id).replaceChildren(...values.map((value) => new Option(value, value, false, value === chosen)));
}

function setUp() {
  $("model-line").textContent = `${config.model} · ${config.resolution} px · ${config.latent_size} latent dimensions`;
  const truncation = $("truncation");
  truncation.max = Math.max(Number(truncation.max), state.truncation);
  truncation.value = state.truncation;
  $("truncation-value").textContent = state.truncation.toFixed(2);
  truncation.addEventListener("input", () => { $("truncation-value").textContent = Number(truncation.value).toFixed(2); });
  truncation.addEventListener("change", () => {
    state.truncation = Number(truncation.value);
    loadGrid({ keepPages: true });
    refreshStripImages();
    previewChanged();
  });
  numberInput("seed", "seed", { min: 0, max: config.max_seed, integer: true, onChange: () => loadGrid() });
  $("new-seed").onclick = () => {
    state.seed = Math.floor(Math.random() * 2 ** 31);
    $("seed").value = state.seed;
    loadGrid();
  };
  numberInput("frames", "frames", { min: 2, max: config.max_frames, integer: true, onChange: previewChanged });
  numberInput("fps", "fps", { min: 1, max: 240, onChange: previewChanged });
  fillSelect("interpolation", config.interpolations, state.interpolation);
  $("interpolation").onchange = () => { state.interpolation = $("interpolation").value; previewChanged(); };
  fillSelect("pace", config.paces, state.pace);
  $("pace-label").hidden = config.paces.length < 2;
  $("pace").onchange = () => { state.pace = $("pace").value; previewChanged(); };
  $("more").onclick = loadMore;
  $("play").onclick = togglePlay;
  $("upload").onchange = () => upload([...$("upload").files]);
  $("save-form").onsubmit = (event) => { event.preventDefault(); save(); };
  $("message-close").onclick = () => { $("message").hidden = true; };
  for (const button of document.querySelectorAll(".copy")) {
    button.onclick = () => navigator.clipboard.writeText($(button.dataset.copy).dataset.command)
      .then(() => say("copied"), () => say("select the text and copy it", { error: true }));
  }
  renderTabs();
  stripChanged();
  loadGrid();
  requestAnimationFrame(tick);
}

setUp();
