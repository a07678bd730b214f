// The console: enter the key, upload, follow, browse, inspect, download.
import {ApiError, apiKey, call, postToBucket} from "./api.js";
import {renderDetail} from "./detail.js";
import {clear, el, formatDate} from "./dom.js";
import {errorInWords} from "./errors.js";
import {ACCEPTED, check, formatBytes} from "./rules.js";

const PAGE_SIZE = 10;
const FINAL = new Set(["PROCESSED", "FAILED", "DELETED"]);
const $ = (id) => document.getElementById(id);

let config = {max_bytes: null};
// Paging: the tokens that opened each page seen so far (null: the first).
let pageTokens = [null];
let nextToken = null;

// --- the key ----------------------------------------------------------------------

function showKeyState() {
  const has = Boolean(apiKey.get());
  $("key-form").hidden = has;
  $("key-state").hidden = !has;
  $("workspace").hidden = !has;
}

$("key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = $("api-key").value.trim();
  if (!value) return;
  apiKey.set(value);
  $("api-key").value = "";
  $("key-error").textContent = "";
  try {
    await loadList();
  } catch (error) {
    apiKey.clear();
    $("key-error").textContent = error.message;
  }
  // After the answer, whatever else ran meanwhile (start() may have shown the
  // workspace for the key being tried).
  showKeyState();
});

$("forget-key").addEventListener("click", () => {
  apiKey.clear();
  showKeyState();
  $("api-key").focus();
});

// --- upload and follow ---------------------------------------------------------------

function addUploadRow(file) {
  const progress = el("progress", {max: "1", value: "0", "aria-label": `Upload of ${file.name}`});
  const state = el("span", {class: "state"});
  const row = el("li", {class: "upload"}, el("span", {class: "name", text: file.name}), el("span", {class: "size", text: formatBytes(file.size)}), progress, state);
  $("uploads").prepend(row);
  return {row, progress, state};
}

function setState(ui, text, kind) {
  ui.state.textContent = text;
  ui.row.dataset.state = kind;
}

async function follow(fileId, ui) {
  let wait = 1000;
  const started = Date.now();
  while (Date.now() - started < 15 * 60 * 1000) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 1.5, 5000);
    let record;
    try {
      record = await call("GET", `/files/${fileId}`);
    } catch (error) {
      // Not found yet, or a passing fault (already retried): ask again later.
      if (error instanceof ApiError && (error.status === 404 || error.status === 0 || error.status >= 500)) continue;
      setState(ui, `Could not follow: ${error.message}`, "error");
      return;
    }
    if (record.status === "FAILED") {
      setState(ui, `FAILED. ${errorInWords(record.error)}`, "failed");
    } else if (record.status === "PROCESSED") {
      setState(ui, "PROCESSED", "processed");
    } else {
      setState(ui, record.status === "PENDING" ? "Uploaded, waiting to be processed…" : "Processing…", "working");
    }
    if (FINAL.has(record.status)) {
      ui.row.append(el("button", {type: "button", class: "link", onclick: () => openDetail(fileId), text: "Details"}));
      if (pageTokens.length === 1) loadList().catch(() => {});
      return;
    }
  }
  setState(ui, "Still not processed after 15 minutes: see the file list.", "error");
}

async function uploadOne(file, ui) {
  const verdict = check(file, config.max_bytes);
  setState(ui, "Requesting an upload link…", "working");
  try {
    const ticket = await call("POST", "/files", {body: {filename: file.name, content_type: verdict.contentType, size: file.size}});
    setState(ui, "Uploading…", "working");
    await postToBucket(ticket.upload, file, verdict.contentType, (share) => {
      ui.progress.value = share;
      ui.progress.setAttribute("aria-valuetext", `${Math.round(share * 100)}%`);
    });
    setState(ui, "Uploaded, waiting to be processed…", "working");
    // Followed on its own: the next file's upload need not wait for processing.
    follow(ticket.file_id, ui);
  } catch (error) {
    setState(ui, `Upload failed: ${error.message}`, "error");
  }
}

// A few at a time: each upload is a POST /files, an upload and a follow; a
// hundred dropped files should not open a hundred connections at once.
const PARALLEL = 3;
const waiting = [];
let running = 0;

function pump() {
  while (running < PARALLEL && waiting.length) {
    const [file, ui] = waiting.shift();
    running += 1;
    uploadOne(file, ui).finally(() => {
      running -= 1;
      pump();
    });
  }
}

function uploadAll(files) {
  for (const file of files) {
    const ui = addUploadRow(file);
    const verdict = check(file, config.max_bytes);
    if (!verdict.ok) {
      ui.progress.remove();
      setState(ui, `Refused, nothing sent. ${verdict.reason}`, "refused");
      continue;
    }
    setState(ui, "Waiting for its turn…", "working");
    waiting.push([file, ui, verdict]);
  }
  pump();
}

const drop = $("drop");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  uploadAll(Array.from(event.dataTransfer.files));
});
$("file-input").addEventListener("change", (event) => {
  uploadAll(Array.from(event.target.files));
  event.target.value = "";
});

// --- the list -------------------------------------------------------------------------

function filters() {
  return {status: $("filter-status").value, category: $("filter-category").value};
}

async function loadList(token = pageTokens[pageTokens.length - 1]) {
  $("list-status").textContent = "Loading…";
  const answer = await call("GET", "/files", {query: {...filters(), limit: PAGE_SIZE, next_token: token}});
  const body = clear($("files-body"));
  for (const item of answer.items) {
    body.append(
      el(
        "tr",
        {"data-file-id": item.file_id},
        el("th", {scope: "row"}, el("button", {type: "button", class: "link", onclick: () => openDetail(item.file_id), text: item.filename || item.file_id})),
        el("td", {text: item.category}),
        el("td", {}, el("span", {class: `badge status-${(item.status || "").toLowerCase()}`, text: item.status})),
        el("td", {text: formatBytes(item.size)}),
        el("td", {text: formatDate(item.uploaded_at)})
      )
    );
  }
  nextToken = answer.next_token || null;
  const page = pageTokens.length;
  $("page-info").textContent = `Page ${page}`;
  $("next-page").disabled = !nextToken;
  $("prev-page").disabled = page === 1;
  $("list-status").textContent = answer.items.length ? `${answer.items.length} file(s) on page ${page}.` : "No files match.";
}

function listError(error) {
  $("list-status").textContent = `The list could not be loaded: ${error.message}`;
}

$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  pageTokens = [null];
  loadList().catch(listError);
});
$("next-page").addEventListener("click", () => {
  if (!nextToken) return;
  pageTokens.push(nextToken);
  loadList().catch(listError);
});
$("prev-page").addEventListener("click", () => {
  if (pageTokens.length > 1) pageTokens.pop();
  loadList().catch(listError);
});
$("refresh").addEventListener("click", () => loadList().catch(listError));

// --- the detail view -------------------------------------------------------------------

let openedFrom = null;

async function openDetail(fileId) {
  openedFrom = document.activeElement;
  const section = $("detail");
  const body = clear($("detail-body"));
  section.hidden = false;
  $("detail-title").textContent = "Loading…";
  $("detail-title").focus();
  try {
    const record = await call("GET", `/files/${fileId}`);
    $("detail-title").textContent = record.filename || record.file_id;
    body.append(...renderDetail(record).flat().filter(Boolean));
  } catch (error) {
    $("detail-title").textContent = "File not shown";
    body.append(el("p", {role: "alert", text: error.message}));
  }
}

function closeDetail() {
  $("detail").hidden = true;
  if (openedFrom && document.contains(openedFrom)) openedFrom.focus();
}

$("close-detail").addEventListener("click", closeDetail);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("detail").hidden) closeDetail();
});

// --- start -----------------------------------------------------------------------------

async function start() {
  try {
    const reply = await fetch(new URL("console/config.json", window.location.href));
    if (reply.ok) config = await reply.json();
  } catch {
    // Without the limits the API still refuses a file too large (413).
  }
  const limits = config.max_bytes;
  const kinds = Object.keys(ACCEPTED).join(" ");
  $("drop-help").textContent = limits
    ? `Accepted: ${kinds}. Largest: images ${formatBytes(limits.image)}, documents ${formatBytes(limits.document)}, data ${formatBytes(limits.data)}.`
    : `Accepted: ${kinds}.`;
  showKeyState();
  if (apiKey.get()) loadList().catch(listError);
}

start();
