// restorekit serve: the page's logic. Images are sent one at a time to POST /api/denoise
// (the server runs one inference at a time anyway); each row shows its own status.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { config: null, items: [], running: false, zoom: "fit", split: 50, shown: null, pinned: false };

function fmtSize(bytes) {
  return bytes > 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

async function loadConfig() {
  const response = await fetch("/api/config");
  state.config = await response.json();
  const select = $("model");
  for (const m of state.config.models) {
    const option = new Option(`${m.name} (${m.network}, ${(m.parameters / 1e6).toFixed(2)} M)`, m.name);
    option.selected = m.name === state.config.default_model;
    select.add(option);
  }
  select.add(new Option("a model file on this machine…", "__path__"));
  $("limits").textContent =
    `Runs on this machine only. Limits: ${state.config.max_upload_mb} MB per upload, ` +
    `${state.config.max_megapixels} megapixels per image.`;
}

function setStatus(item, text, kind = "") {
  item.status.textContent = text;
  item.status.className = `status ${kind}`;
}

function addFiles(files) {
  for (const file of files) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = `${file.name} `;
    const size = document.createElement("span");
    size.className = "muted";
    size.textContent = fmtSize(file.size);
    const status = document.createElement("span");
    const progress = document.createElement("progress");
    progress.hidden = true;
    const ref = document.createElement("span");
    ref.className = "ref";
    const refInput = document.createElement("input");
    refInput.type = "file";
    refInput.accept = "image/*,.tif,.tiff";
    refInput.id = `ref-${state.items.length}`;
    const refLabel = document.createElement("label");
    refLabel.htmlFor = refInput.id;
    refLabel.textContent = "add a clean reference (PSNR/SSIM)";
    ref.append(refInput, refLabel);
    li.append(name, size, status, progress, ref);
    $("queue").append(li);
    const item = { file, reference: null, li, status, progress, result: null, state: "pending" };
    refInput.addEventListener("change", () => {
      item.reference = refInput.files[0] || null;
      if (item.reference) refLabel.textContent = `reference: ${item.reference.name}`;
      if (item.state === "done") item.state = "pending";
      updateButton();
    });
    li.addEventListener("click", (event) => {
      if (!item.result || event.target.closest(".ref")) return;
      state.pinned = true;
      show(item);
    });
    state.items.push(item);
    setStatus(item, "waiting");
  }
  updateButton();
}

function updateButton() {
  const pending = state.items.filter((i) => i.state === "pending").length;
  $("run").disabled = state.running || pending === 0;
  $("run").textContent = pending > 1 ? `Denoise ${pending} images` : "Denoise";
}

function modelValue() {
  return $("model").value === "__path__" ? $("model-path").value.trim() : $("model").value;
}

function tileValue() {
  return $("tile").value === "custom" ? $("tile-size").value : $("tile").value;
}

function send(item) {
  return new Promise((resolve) => {
    const form = new FormData();
    form.append("image", item.file, item.file.name);
    if (item.reference) form.append("reference", item.reference, item.reference.name);
    form.append("model", modelValue());
    form.append("tile", tileValue());
    form.append("tta", $("tta").checked ? "1" : "0");
    form.append("precision", $("precision").value);
    const xhr = new XMLHttpRequest();
    const started = performance.now();
    let timer = null;
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      item.progress.value = event.loaded / event.total;
      setStatus(item, `uploading ${Math.round((100 * event.loaded) / event.total)}%`);
    });
    xhr.upload.addEventListener("load", () => {
      item.progress.removeAttribute("value"); // indeterminate while the server works
      const tick = () => setStatus(item, `denoising… ${((performance.now() - started) / 1000).toFixed(0)} s`);
      tick();
      timer = setInterval(tick, 500);
    });
    xhr.addEventListener("loadend", () => {
      clearInterval(timer);
      item.progress.hidden = true;
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { error: xhr.status ? `server answered ${xhr.status}` : "the server cannot be reached" };
      }
      resolve({ ok: xhr.status === 200, body });
    });
    item.progress.hidden = false;
    item.progress.value = 0;
    xhr.open("POST", "/api/denoise");
    xhr.send(form);
  });
}

async function runAll() {
  state.running = true;
  updateButton();
  const limit = state.config.max_upload_mb * 1e6;
  for (const item of state.items.filter((i) => i.state === "pending")) {
    item.state = "running";
    const bytes = item.file.size + (item.reference ? item.reference.size : 0);
    if (bytes > limit) {
      item.state = "error";
      setStatus(item, `${fmtSize(bytes)} is over the ${state.config.max_upload_mb} MB upload limit`, "error");
      continue;
    }
    const { ok, body } = await send(item);
    if (!ok) {
      item.state = "error";
      setStatus(item, body.error || "failed", "error");
      continue;
    }
    item.state = "done";
    item.result = body;
    item.li.classList.add("done");
    const depth = `${body.format} ${body.bit_depth}-bit${body.alpha ? " + alpha" : ""}`;
    setStatus(item, `done in ${body.seconds.toFixed(1)} s: ${body.width}x${body.height}, ${depth}`, "ok");
    if (!state.pinned) show(item); // the newest result, until the user picks one
  }
  state.running = false;
  updateButton();
}

function show(item) {
  state.shown = item;
  for (const other of state.items) other.li.classList.toggle("selected", other === item);
  const r = item.result;
  $("empty").hidden = true;
  $("shown").hidden = false;
  $("title").textContent = `${r.name} (${r.width}x${r.height}, ${r.format} ${r.bit_depth}-bit${r.alpha ? ", alpha" : ""}; ${r.model})`;
  $("before").src = r.urls.before;
  $("after").src = r.urls.after;
  $("download").href = r.urls.result;
  $("download").setAttribute("download", r.name);
  $("download").textContent = `Download ${r.name}`;
  const noise = r.urls.noise_map;
  $("noise").hidden = !noise;
  if (noise) {
    $("noise-img").src = noise;
    $("noise-download").href = noise;
  }
  const table = $("metrics");
  table.hidden = !r.metrics;
  if (r.metrics) {
    const rows = [["noisy input", r.metrics.input], ["denoised", r.metrics.output]];
    table.tBodies[0].replaceChildren(
      ...rows.map(([label, m]) => {
        const tr = document.createElement("tr");
        const cells = [label, m.psnr === null ? "∞" : m.psnr.toFixed(2), m.ssim === null ? "-" : m.ssim.toFixed(4)];
        for (const text of cells) tr.insertCell().textContent = text;
        return tr;
      }),
    );
  }
  applyZoom();
}

function applyZoom() {
  const item = state.shown;
  if (!item) return;
  const { width, height } = item.result;
  const viewer = $("viewer");
  const fit = Math.min((viewer.clientWidth - 2) / width, (0.7 * window.innerHeight - 2) / height);
  const scale = state.zoom === "fit" ? fit : Number(state.zoom);
  const stage = $("stage");
  stage.style.width = `${Math.round(width * scale)}px`;
  $("split").style.width = `${Math.min(Math.round(width * scale), viewer.clientWidth)}px`;
  stage.style.height = `${Math.round(height * scale)}px`;
  stage.classList.toggle("pixels", scale >= 2);
  for (const button of document.querySelectorAll("[data-zoom]")) {
    button.classList.toggle("on", button.dataset.zoom === String(state.zoom));
  }
  applySplit();
}

function applySplit() {
  $("before").style.clipPath = `inset(0 ${100 - state.split}% 0 0)`;
  $("divider").style.left = `${state.split}%`;
  $("split").value = state.split;
}

function splitAt(event) {
  const box = $("stage").getBoundingClientRect();
  state.split = Math.min(100, Math.max(0, (100 * (event.clientX - box.left)) / box.width));
  applySplit();
}

function setup() {
  const drop = $("drop");
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const type of ["dragleave", "drop"]) drop.addEventListener(type, () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    addFiles(event.dataTransfer.files);
  });
  $("pick").addEventListener("change", () => {
    addFiles($("pick").files);
    $("pick").value = "";
  });
  $("model").addEventListener("change", () => {
    $("model-path").hidden = $("model").value !== "__path__";
  });
  $("tile").addEventListener("change", () => {
    $("tile-size").hidden = $("tile").value !== "custom";
  });
  $("run").addEventListener("click", runAll);
  $("split").addEventListener("input", () => {
    state.split = Number($("split").value);
    applySplit();
  });
  const stage = $("stage");
  stage.addEventListener("pointerdown", (event) => {
    stage.setPointerCapture(event.pointerId);
    splitAt(event);
  });
  stage.addEventListener("pointermove", (event) => {
    if (stage.hasPointerCapture(event.pointerId)) splitAt(event);
  });
  for (const button of document.querySelectorAll("[data-zoom]")) {
    button.addEventListener("click", () => {
      state.zoom = button.dataset.zoom;
      applyZoom();
    });
  }
  window.addEventListener("resize", applyZoom);
  loadConfig().then(updateButton);
}

setup();
