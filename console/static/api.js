// The API, called from the page's own origin (the console is a path of the
// API): the key typed by the person goes in x-api-key, and is kept in this
// tab's sessionStorage only.

const KEY_NAME = "fileproc.apiKey";
// /<stage>/console -> /<stage>/ : the API's base, whatever the stage or domain.
export const API_BASE = new URL(".", window.location.href);

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const apiKey = {
  get: () => window.sessionStorage.getItem(KEY_NAME),
  set: (value) => window.sessionStorage.setItem(KEY_NAME, value),
  clear: () => window.sessionStorage.removeItem(KEY_NAME),
};

// Answers worth asking again: the API unreachable, throttled, or a function
// that failed or timed out (a cold start under load). A retried POST /files
// may leave an unused PENDING record behind, which DynamoDB's TTL removes.
const TRANSIENT = new Set([0, 429, 500, 502, 503, 504]);
const ATTEMPTS = 3;

export async function call(method, path, options = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await callOnce(method, path, options);
    } catch (error) {
      if (!(error instanceof ApiError) || !TRANSIENT.has(error.status) || attempt >= ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
}

async function callOnce(method, path, {query, body} = {}) {
  const url = new URL(path.replace(/^\//, ""), API_BASE);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = {"x-api-key": apiKey.get() || ""};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let reply;
  try {
    reply = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "unreachable", `The API could not be reached (${error.message}).`);
  }
  let answer = null;
  try {
    answer = await reply.json();
  } catch {
    answer = null;
  }
  if (!reply.ok) {
    const error = (answer && answer.error) || {};
    let message = error.message || (answer && answer.message) || reply.statusText;
    if (reply.status === 403) message = "The API key was refused: check it and enter it again.";
    throw new ApiError(reply.status, error.code || String(reply.status), message);
  }
  return answer;
}

// The presigned POST straight to S3, with upload progress (fetch has none).
export function postToBucket(upload, file, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    if (!("Content-Type" in upload.fields)) form.append("Content-Type", contentType);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        const found = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText || "");
        reject(new Error(`the bucket refused the upload (${xhr.status}${found ? `: ${found[1]}` : ""})`));
      }
    });
    xhr.addEventListener("error", () => reject(new Error("the upload to the bucket failed (network or CORS)")));
    xhr.send(form);
  });
}
