// The detail view of one record: what a person reads at a glance, then every
// download. Fields follow docs/contracts.md (metadata per category).
import {call} from "./api.js";
import {el, formatDate} from "./dom.js";
import {errorInWords} from "./errors.js";
import {formatBytes} from "./rules.js";

const ARTEFACT_LABELS = {thumbnail: "Thumbnail (JPEG)", text: "Extracted text"};

function facts(pairs) {
  const shown = pairs.filter(([, value]) => value !== undefined && value !== null && value !== "");
  if (!shown.length) return null;
  return el("dl", {class: "facts"}, shown.map(([name, value]) => [el("dt", {text: name}), el("dd", {text: String(value)})]));
}

function table(caption, headers, rows) {
  return el(
    "div",
    {class: "table-scroll", tabindex: "0", role: "region", "aria-label": caption},
    el(
      "table",
      {},
      el("caption", {text: caption}),
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", {scope: "col", text: h})))),
      el("tbody", {}, rows.map((row) => el("tr", {}, row.map((cell, i) => (i === 0 ? el("th", {scope: "row", text: cell}) : el("td", {text: cell}))))))
    )
  );
}

function number(value) {
  if (value === undefined || value === null) return "";
  return typeof value === "number" && !Number.isInteger(value) ? value.toLocaleString(undefined, {maximumFractionDigits: 4}) : String(value);
}

function imageFacts(m) {
  const exif = m.exif || {};
  const gps = exif.gps ? `${exif.gps.latitude}, ${exif.gps.longitude}` : undefined;
  return [
    el("h3", {text: "Image"}),
    facts([
      ["Format", m.format],
      ["Dimensions", m.width && m.height ? `${m.width} × ${m.height} px` : undefined],
      ["Colour mode", m.mode],
      ["Frames", m.animated ? `${m.frames} (animated)` : m.frames],
      ["Thumbnail", m.thumbnail ? `${m.thumbnail.width} × ${m.thumbnail.height} px` : undefined],
    ]),
    Object.keys(exif).length ? el("h3", {text: "EXIF"}) : null,
    facts([
      ["Camera make", exif.make],
      ["Camera model", exif.model],
      ["Date taken", exif.date_taken],
      ["Orientation", exif.orientation],
      ["GPS", gps],
    ]),
  ];
}

function documentFacts(m) {
  const isPdf = m.format === "PDF";
  return [
    el("h3", {text: isPdf ? "PDF" : "Text"}),
    facts(
      isPdf
        ? [
            ["Title", m.title],
            ["Author", m.author],
            ["Subject", m.subject],
            ["Pages", m.pages],
            ["PDF version", m.version],
            ["Encrypted", m.encrypted ? "yes" : "no"],
            ["Created", m.created],
            ["Modified", m.modified],
            ["Creator", m.creator],
            ["Producer", m.producer],
            ["Words", m.words],
            ["Characters", m.characters],
            ["Text truncated", m.text_truncated ? "yes" : undefined],
          ]
        : [
            ["Encoding", m.encoding],
            ["Lines", m.lines],
            ["Words", m.words],
            ["Characters", m.characters],
          ]
    ),
    m.preview ? el("h3", {text: "Preview"}) : null,
    m.preview ? el("blockquote", {class: "preview", text: m.preview}) : null,
  ];
}

// Parquet: what its footer says (no data is read): schema, row groups, codecs,
// and each column's statistics over all row groups.
function parquetFacts(m, parts) {
  parts.push(
    facts([
      ["Rows", m.rows],
      ["Row groups", m.row_groups],
      ["Columns", m.columns],
      ["Compression", (m.compression || []).join(", ")],
      ["Compressed", formatBytes(m.compressed_bytes)],
      ["Uncompressed", formatBytes(m.uncompressed_bytes)],
      ["Written by", m.created_by],
    ])
  );
  const columns = m.schema || [];
  if (columns.length) {
    parts.push(
      table(
        `Columns${m.columns_truncated ? " (the first ones only)" : ""}`,
        ["Column", "Type", "Nullable", "Nulls", "Min", "Max", "Compressed"],
        columns.map((c) => [
          c.path,
          c.type || c.physical_type,
          c.nullable ? "yes" : "no",
          number(c.null_count),
          number(c.min),
          number(c.max),
          formatBytes(c.compressed_bytes),
        ])
      )
    );
  }
  return parts;
}

function dataFacts(m) {
  const parts = [el("h3", {text: m.format === "CSV" ? "CSV" : m.format || "Data"})];
  if (m.format === "Parquet") return parquetFacts(m, parts);
  if (m.format === "CSV") {
    parts.push(
      facts([
        ["Encoding", m.encoding],
        ["Delimiter", m.dialect ? JSON.stringify(m.dialect.delimiter) : undefined],
        ["Header row", m.header === true ? "yes" : m.header === false ? "no" : m.header],
        ["Rows", m.rows],
        ["Columns", m.columns],
        ["Blank lines", m.blank_lines],
        ["Ragged rows", m.ragged_rows ? m.ragged_rows.count : undefined],
        ["Malformed rows", m.malformed_rows ? m.malformed_rows.count : undefined],
      ])
    );
    const profiles = m.column_profiles || [];
    if (profiles.length) {
      parts.push(
        table(
          `Columns${m.columns_truncated ? " (the first ones only)" : ""}`,
          ["Column", "Type", "Empty", "Min", "Max", "Mean"],
          profiles.map((c) => [c.name, c.type, number(c.empty), number(c.min), number(c.max), number(c.mean)])
        )
      );
    }
    return parts;
  }
  const elementTypes = m.element_types ? Object.entries(m.element_types).map(([t, n]) => `${t}: ${n}`).join(", ") : undefined;
  parts.push(
    facts([
      ["Encoding", m.encoding],
      ["Top level", m.top_level],
      ["Records", m.records],
      ["Members", m.members],
      ["Element types", elementTypes],
      ["Blank lines", m.blank_lines],
    ])
  );
  const fieldRows = (fields) => fields.map((f) => [f.name, (f.types || []).join(", "), number(f.present)]);
  if ((m.fields || []).length) {
    parts.push(table(`Fields${m.fields_truncated ? " (the first ones only)" : ""}`, ["Field", "Types", "Present in"], fieldRows(m.fields)));
  }
  for (const member of m.member_profiles || []) {
    if ((member.fields || []).length) {
      const what = member.type === "array" ? `array of ${member.records} records` : "object";
      parts.push(table(`Fields of "${member.name}" (${what})`, ["Field", "Types", "Present in"], fieldRows(member.fields)));
    }
  }
  return parts;
}

async function downloadTo(fileId, artefact) {
  const answer = await call("GET", `/files/${fileId}/download`, {query: {artefact}});
  return answer.url;
}

// Starts the browser's download: the presigned link answers with
// Content-Disposition: attachment, so the page stays where it is.
async function download(fileId, artefact, status) {
  try {
    const url = await downloadTo(fileId, artefact);
    const link = el("a", {href: url, rel: "noopener"});
    document.body.append(link);
    link.click();
    link.remove();
    status.textContent = "Download started.";
  } catch (error) {
    status.textContent = `Download failed: ${error.message}`;
  }
}

export function renderDetail(record) {
  const m = record.metadata || {};
  const status = el("p", {class: "download-status", role: "status"});
  const thumb = el("figure", {class: "thumbnail", hidden: true});
  if (record.derived && record.derived.thumbnail) {
    thumb.hidden = false;
    thumb.append(el("p", {text: "Loading the thumbnail…"}));
    downloadTo(record.file_id, "thumbnail")
      .then((url) => {
        const img = el("img", {src: url, alt: `Thumbnail of ${record.filename || record.file_id}`});
        thumb.replaceChildren(img, el("figcaption", {text: "Thumbnail"}));
      })
      .catch((error) => thumb.replaceChildren(el("p", {text: `No thumbnail: ${error.message}`})));
  }
  const downloads = [el("button", {type: "button", onclick: () => download(record.file_id, undefined, status), text: "Download the original"})];
  for (const name of Object.keys(record.derived || {}).sort()) {
    downloads.push(el("button", {type: "button", onclick: () => download(record.file_id, name, status), text: `Download: ${ARTEFACT_LABELS[name] || name}`}));
  }
  const perCategory = {image: imageFacts, document: documentFacts, data: dataFacts}[record.category];
  return [
    el("p", {class: `badge status-${(record.status || "").toLowerCase()}`, text: record.status}),
    record.error ? el("div", {class: "error-box", role: "alert"}, el("strong", {text: `${record.error.type}: `}), errorInWords(record.error)) : null,
    thumb,
    facts([
      ["Category", record.category],
      ["Size", formatBytes(record.size)],
      ["Type", record.content_type],
      ["Uploaded", formatDate(record.uploaded_at)],
      ["Processed", formatDate(record.processed_at)],
      ["File id", record.file_id],
    ]),
    record.ai && record.ai.summary ? [el("h3", {text: "AI summary"}), el("p", {class: "summary", text: record.ai.summary}), el("p", {class: "note", text: `Model: ${record.ai.model_id}`})] : null,
    record.ai && record.ai.error ? el("p", {class: "note", text: `No AI summary: ${record.ai.error}`}) : null,
    perCategory && record.status === "PROCESSED" ? perCategory(m) : null,
    el("h3", {text: "Downloads"}),
    el("div", {class: "downloads"}, downloads),
    status,
  ];
}
