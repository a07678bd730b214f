// A FAILED record's error type in words; the processor's own message follows.
const WORDS = {
  Corrupt: "The file is damaged",
  ContentMismatch: "The content does not match the file's extension",
  TooLarge: "The file is over the size limit",
  Unsupported: "This kind of file cannot be processed",
  DecompressionBomb: "The image would take too much memory to open (refused for safety)",
  InvalidJson: "The JSON is not valid",
  ObjectMissing: "The uploaded file was gone before it could be processed",
  InternalError: "Processing failed on this file",
  RetriesExhausted: "Processing kept failing and was given up (it can be retried with a redrive)",
};

export function errorInWords(error) {
  if (!error) return "";
  const words = WORDS[error.type] || `Failed (${error.type || "unknown error"})`;
  return error.message ? `${words}: ${error.message}` : words;
}
