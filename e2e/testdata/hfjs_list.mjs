// Lists a repository's files with @huggingface/hub's listFiles (recursive),
// which follows the tree API's Link header page by page, as a
// huggingface.js user lists a big repository:
// node hfjs_list.mjs <hubUrl> <token> <namespace/name>
// HFJS_DIR names the folder whose node_modules holds @huggingface/hub.
// Prints one JSON line: the number of files and a digest of "path oid" lines.
import path from "node:path";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";

const [hubUrl, accessToken, name] = process.argv.slice(2);
const hub = await import(pathToFileURL(path.join(process.env.HFJS_DIR, "node_modules/@huggingface/hub/dist/index.mjs")).href);

const lines = [];
for await (const e of hub.listFiles({ repo: { type: "model", name }, accessToken, hubUrl, recursive: true })) {
  if (e.type === "file") lines.push(`${e.path} ${e.oid}`);
}
lines.sort();
const digest = crypto.createHash("sha256").update(lines.join("\n")).digest("hex");
console.log(JSON.stringify({ files: lines.length, digest }));
