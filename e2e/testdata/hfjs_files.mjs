// Drives @huggingface/hub's file calls against our hub:
// node hfjs_files.mjs <hubUrl> <token> <namespace> <repoName> <inDir> <outDir>
// Uploads inDir/config.json, inDir/model.bin and inDir/eicar.txt, lists,
// checks, downloads into outDir, and prints what each call answered.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [hubUrl, accessToken, namespace, name, inDir, outDir] = process.argv.slice(2);
const hub = await import(pathToFileURL(path.join(process.env.HFJS_DIR, "node_modules/@huggingface/hub/dist/index.mjs")).href);
const repo = { type: "model", name: `${namespace}/${name}` };
const blob = (f) => new Blob([fs.readFileSync(path.join(inDir, f))]);
const err = async (fn) => {
  try {
    await fn();
    return "";
  } catch (e) {
    return `${e.statusCode} ${e.message}`;
  }
};

// A download of a file still being scanned answers 409 with Retry-After
// at once; a client that wants the bytes retries, as told, until the
// verdict (at most a minute here).
const retry409 = async (fn) => {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (e.statusCode !== 409 || i >= 60) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
};

await hub.createRepo({ repo, accessToken, hubUrl, private: true });
const commits = [];
for (const f of ["config.json", "model.bin"]) {
  const out = await hub.uploadFile({ repo, accessToken, hubUrl, file: { path: f, content: blob(f) }, useXet: false });
  commits.push(out?.commit?.oid ?? "");
}
const listed = [];
for await (const e of hub.listFiles({ repo, accessToken, hubUrl, recursive: true })) listed.push(`${e.type}:${e.path}:${e.lfs ? "lfs" : "regular"}`);
const exists = await hub.fileExists({ repo, accessToken, hubUrl, path: "config.json" });
const missing = await hub.fileExists({ repo, accessToken, hubUrl, path: "missing.txt" });
for (const f of ["config.json", "model.bin"]) {
  const b = await retry409(() => hub.downloadFile({ repo, accessToken, hubUrl, path: f }));
  fs.writeFileSync(path.join(outDir, f), Buffer.from(await b.arrayBuffer()));
}
// After the downloads, which retried until the verdicts.
const pathsInfo = (await hub.pathsInfo({ repo, accessToken, hubUrl, paths: ["config.json", "model.bin", "nope"], expand: true }))
  .map((p) => `${p.path}:${p.securityFileStatus?.status ?? ""}`);
const anonError = await err(async () => {
  const b = await hub.downloadFile({ repo, hubUrl, path: "config.json" });
  await b.arrayBuffer();
});
const eicarUpload = await err(() => hub.uploadFile({ repo, accessToken, hubUrl, file: { path: "eicar.txt", content: blob("eicar.txt") }, useXet: false }));
const eicarDownload = await err(async () => {
  const b = await retry409(() => hub.downloadFile({ repo, accessToken, hubUrl, path: "eicar.txt" }));
  // downloadFile answers null for a file the repository does not have (404).
  if (b === null) throw Object.assign(new Error("eicar.txt is not in the repository"), { statusCode: 404 });
  await b.arrayBuffer();
});
await hub.deleteRepo({ repo, accessToken, hubUrl });
console.log(JSON.stringify({ commits, listed, exists, missing, pathsInfo, anonError, eicarUpload, eicarDownload }));
