// sohoa's web pages: sign in, the actions (each a call to the JSON API with the session's CSRF token), and
// the scan station's live view. Our own code, served by sohoa; nothing is fetched from elsewhere.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

function say(text, isError) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.hidden = !text;
  box.className = isError ? "message error" : "message";
  if (isError) box.setAttribute("role", "alert");
}

// `etag`: the version of the record the page showed, sent as If-Match so that a change made on a page
// another person has changed since is refused (412) rather than applied over theirs.
async function call(method, url, body, etag) {
  const headers = { "X-CSRF-Token": csrf() };
  if (etag) headers["If-Match"] = '"' + etag + '"';
  let payload = body;
  if (body !== undefined && !(body instanceof FormData) && !(body instanceof Blob)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
  if (!response.ok) {
    let text = response.status + "";
    try {
      const problem = await response.json();
      text = document.documentElement.lang === "en" ? problem.detail || problem.title : problem.title || problem.detail;
    } catch (e) { /* not a problem document */ }
    throw new Error(text);
  }
  return response.status === 204 ? null : response.json();
}

async function act(button, work) {
  const busy = document.documentElement.lang === "en" ? "Working…" : "Đang xử lý…";
  document.querySelectorAll("button").forEach((b) => (b.disabled = true));
  say(busy, false);
  try {
    await work();
  } catch (error) {
    say(error.message, true);
    document.querySelectorAll("button").forEach((b) => (b.disabled = false));
  }
}

// What an import stored (POST /api/v1/packages answers an ImportReport), in the page's own words.
function showImport(section, report) {
  const link = section.querySelector("[data-dossier-link]");
  link.textContent = report.dossier_code;
  link.href = "/dossiers/" + encodeURIComponent(report.dossier_code);
  section.querySelector("[data-imported-new]").hidden = report.already_imported;
  section.querySelector("[data-nothing-new]").hidden = !report.already_imported;
  section.querySelector("[data-documents]").textContent = report.documents.length;
  section.querySelector("[data-written]").textContent = report.written;
  section.querySelector("[data-document-list]").replaceChildren(...report.documents.map((id) => {
    const item = document.createElement("li");
    const a = document.createElement("a");
    a.href = "/documents/" + encodeURIComponent(id);
    a.textContent = id;
    item.append(a);
    return item;
  }));
  section.hidden = false;
  section.focus();
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("[data-login]")) {
    event.preventDefault();
    act(form, async () => {
      await call("POST", "/api/v1/auth/login", formValues(form));
      window.location.assign(form.dataset.next || "/");
    });
  } else if (form.matches("[data-new-dossier]")) {
    event.preventDefault();
    const v = formValues(form);
    act(form, async () => {
      const dossier = await call("POST", "/api/v1/dossiers", {
        agency: form.dataset.agency,
        procedure_code: v.procedure_code,
        procedure_name: v.procedure_name,
        applicant: { id_number: v.applicant_id, name: v.applicant_name },
      });
      window.location.assign("/dossiers/" + encodeURIComponent(dossier.code));
    });
  } else if (form.matches("[data-upload-batch]")) {
    event.preventDefault();
    act(form, async () => {
      const batch = await call("POST", "/api/v1/batches", new FormData(form));
      window.location.assign("/scan/" + batch.id);
    });
  } else if (form.matches("[data-import-package]")) {
    // The file itself is the body (application/zip, as the API takes a package), streamed from disk.
    event.preventDefault();
    const result = document.querySelector("[data-import-result]");
    result.hidden = true;  // an earlier outcome must not pass for this one's
    const file = form.elements.package.files[0];
    // An administrator names the agency that will hold the dossier; staff import for their own.
    const agency = form.elements.agency ? "?agency=" + encodeURIComponent(form.elements.agency.value.trim()) : "";
    act(form, async () => {
      const report = await call("POST", form.dataset.importPackage + agency, new Blob([file], { type: "application/zip" }));
      say("", false);
      showImport(result, report);
      form.reset();
      document.querySelectorAll("button").forEach((b) => (b.disabled = false));
    });
  } else if (form.matches("[data-scan-batch]")) {
    event.preventDefault();
    const v = formValues(form);
    act(form, async () => {
      const batch = await call("POST", "/api/v1/batches/scan", {
        device: v.device,
        source: v.source || null,
        mode: v.mode,
        dpi: Number(v.dpi || 300),
        count: v.count ? Number(v.count) : null,
        duplex: v.duplex === "1",
      });
      window.location.assign("/scan/" + batch.id);
    });
  } else if (form.matches("[data-folder-batch]")) {
    event.preventDefault();
    act(form, async () => {
      const batch = await call("POST", "/api/v1/batches/folder");
      window.location.assign("/scan/" + batch.id);
    });
  } else if (form.matches("[data-assign]")) {
    event.preventDefault();
    act(form, async () => {
      await call("POST", form.dataset.assign, formValues(form));
      window.location.reload();
    });
  } else if (form.matches("[data-facts]")) {
    // Only what the officer changed is sent: each change is recorded with its old and new value.
    event.preventDefault();
    const changes = {};
    form.querySelectorAll("input[name]").forEach((input) => {
      if (input.value !== input.defaultValue) changes[input.name] = input.value.trim() || null;
    });
    act(form, async () => {
      await call("PATCH", form.dataset.facts, changes, form.dataset.etag);
      window.location.reload();
    });
  } else if (form.matches("[data-confirm]")) {
    event.preventDefault();
    act(form, async () => {
      // One entry per field, by its position: two fields of one name (two personal IDs) stay two.
      const fields = Array.from(form.querySelectorAll("input[data-index]"), (input) => ({
        index: Number(input.dataset.index),
        value: input.value,
      }));
      await call("POST", form.dataset.confirm, { fields }, form.dataset.etag);
      window.location.reload();
    });
  }
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.dataset.post) {
    act(button, async () => {
      await call("POST", button.dataset.post, JSON.parse(button.dataset.body || "{}"));
      window.location.reload();
    });
  } else if (button.dataset.move) {
    const group = Number(document.getElementById(button.dataset.select).value);
    act(button, async () => {
      await call("POST", button.dataset.move, { action: "move", group });
      window.location.reload();
    });
  } else if (button.hasAttribute("data-logout")) {
    act(button, async () => {
      await call("POST", "/api/v1/auth/logout");
      window.location.assign("/login");
    });
  }
});

// A cover sheet has no page image: its thumbnail says so instead of showing a broken picture.
document.addEventListener("error", (event) => {
  if (event.target.tagName === "IMG" && event.target.closest(".thumb")) {
    event.target.closest(".thumb").classList.add("cover");
  }
}, true);

function follow(section) {
  const id = section.dataset.batch;
  const stream = new EventSource("/api/v1/batches/" + id + "/events");
  let shown = -1;
  stream.addEventListener("progress", async (event) => {
    const batch = JSON.parse(event.data);
    section.querySelector("[data-done]").textContent = batch.pages_done;
    section.querySelector("[data-total]").textContent = batch.total_pages;
    const bar = section.querySelector("progress");
    bar.max = batch.total_pages || 1;
    bar.value = batch.pages_done;
    if (batch.pages_done !== shown) {
      shown = batch.pages_done;
      const response = await fetch("/scan/" + id + "/thumbnails", { credentials: "same-origin" });
      if (response.ok) section.querySelector("[data-thumbs]").innerHTML = await response.text();
    }
    if (batch.status !== "running") {
      stream.close();
      window.location.reload();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const section = document.querySelector("[data-batch][data-status=running]");
  if (section) follow(section);
});
