// Validates Kubernetes manifests against the JSON schemas bundled in the npm package
// kubernetes-models (Kubernetes 1.27 schemas, offline). Run by DeployManifestsTest:
//   node validate-k8s.mjs ../../deploy/kubernetes/*.yaml
// Prints one line per document and "N documents, M failed"; exit 0 only when all are valid.
// It catches wrong types and missing required fields; the schemas allow unknown fields.
import fs from "node:fs";
import * as yaml from "js-yaml";

let failures = 0;
let count = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
    if (!doc || doc.kind === "Kustomization") continue;
    count++;
    const where = `${file}: ${doc.kind}/${doc.metadata?.name}`;
    const module = await import(`kubernetes-models/${doc.apiVersion}`).catch(() => null);
    const Model = module?.[doc.kind];
    if (!Model) {
      console.log(`unknown  ${where} (${doc.apiVersion})`);
      failures++;
      continue;
    }
    try {
      new Model(doc).validate();
      console.log(`ok       ${where}`);
    } catch (e) {
      failures++;
      console.log(`invalid  ${where}\n  ${e.message}`);
    }
  }
}
console.log(`${count} documents, ${failures} failed`);
process.exit(failures ? 1 : 0);
