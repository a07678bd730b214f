// What the API accepts (lambda_src/fileproc/keys.py EXTENSIONS and
// api/uploads.py MEDIA_TYPES; tests/console checks that these agree), so that
// a file the API would refuse is refused here, before anything is sent. The
// size limits are the deployment's, from config.json.

export const ACCEPTED = /* accepted:begin */ {
  ".jpg": {"category": "image", "types": ["image/jpeg"]},
  ".jpeg": {"category": "image", "types": ["image/jpeg"]},
  ".png": {"category": "image", "types": ["image/png"]},
  ".pdf": {"category": "document", "types": ["application/pdf"]},
  ".txt": {"category": "document", "types": ["text/plain"]},
  ".csv": {"category": "data", "types": ["text/csv", "application/csv", "application/vnd.ms-excel"]},
  ".json": {"category": "data", "types": ["application/json"]},
  ".jsonl": {"category": "data", "types": ["application/jsonl", "application/x-ndjson", "application/json"]},
  ".ndjson": {"category": "data", "types": ["application/x-ndjson", "application/jsonl", "application/json"]},
  ".parquet": {"category": "data", "types": ["application/vnd.apache.parquet", "application/x-parquet", "application/octet-stream"]}
} /* accepted:end */;

export function extension(name) {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot).toLowerCase() : "";
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

// {ok: true, category, contentType} or {ok: false, reason}. The declared type
// is the browser's guess when the API accepts it for the extension, else the
// extension's usual type (browsers guess nothing for .jsonl or .parquet, and
// Windows calls a CSV application/vnd.ms-excel).
export function check(file, maxBytes) {
  const ext = extension(file.name);
  const rule = ACCEPTED[ext];
  if (!rule) {
    const allowed = Object.keys(ACCEPTED).join(" ");
    return {ok: false, reason: `Not accepted: ${ext || "no extension"}. Accepted types: ${allowed}`};
  }
  if (file.size === 0) {
    return {ok: false, reason: "Empty file: there is nothing to process."};
  }
  const limit = maxBytes ? maxBytes[rule.category] : undefined;
  if (limit !== undefined && file.size > limit) {
    return {
      ok: false,
      reason: `Too large: ${formatBytes(file.size)}, the limit for ${rule.category} files is ${formatBytes(limit)}.`,
    };
  }
  const browserType = (file.type || "").split(";")[0].trim().toLowerCase();
  const contentType = rule.types.includes(browserType) ? browserType : rule.types[0];
  return {ok: true, category: rule.category, contentType};
}
