// `tzsigner gateway render`: the gateway's Kubernetes objects validate
// against the Kubernetes API schemas (kubernetes-models) and are wired
// together: selectors match the pods, the gateway's --etcd names the
// StatefulSet's members by their stable DNS names, two replicas with a
// disruption budget, a volume claim per etcd member; with --etcd, no etcd
// objects; malformed input is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { cli, runCli } from './lib/signer.mjs';

const MODELS = {
	'v1/Service': Service,
	'apps/v1/Deployment': Deployment,
	'apps/v1/StatefulSet': StatefulSet,
	'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};
const BOXES = ['--box', 'http://tzsigner-alpha:7001', '--box', 'http://tzsigner-beta:7002'];

async function render(extra) {
	const { stdout } = await cli(['gateway', 'render', ...BOXES, '--namespace', 'tezos', '--image', 'registry.example/tzsigner:0.1.0', ...extra]);
	const objects = [];
	for (const doc of parseAllDocuments(stdout)) {
		assert.equal(doc.errors.length, 0, `YAML errors ${doc.errors}`);
		const obj = doc.toJS();
		if (obj !== null) objects.push(obj);
	}
	for (const obj of objects) {
		const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
		assert.ok(Model, `unexpected ${obj.apiVersion}/${obj.kind}`);
		assert.doesNotThrow(() => new Model(obj).validate(), `${obj.kind} ${obj.metadata.name} is invalid`);
		assert.equal(obj.metadata.namespace, 'tezos');
	}
	return { objects, stdout };
}

const find = (objects, kind, name) => {
	const f = objects.filter((o) => o.kind === kind && o.metadata.name === name);
	assert.equal(f.length, 1, `one ${kind} ${name}`);
	return f[0];
};
const matches = (sel, labels) => Object.entries(sel).every(([k, v]) => labels[k] === v);

test('gateway render: Deployment (2 replicas), PDB, Service and a 3-member etcd StatefulSet, wired together', async () => {
	const { objects, stdout } = await render([]);
	const kinds = objects.map((o) => o.kind).sort();
	assert.deepEqual(kinds, ['Deployment', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Service', 'Service', 'StatefulSet']);
	const dep = find(objects, 'Deployment', 'tzsigner-gateway');
	assert.equal(dep.spec.replicas, 2);
	const podLabels = dep.spec.template.metadata.labels;
	assert.ok(matches(dep.spec.selector.matchLabels, podLabels));
	assert.ok(matches(find(objects, 'PodDisruptionBudget', 'tzsigner-gateway').spec.selector.matchLabels, podLabels));
	assert.equal(find(objects, 'PodDisruptionBudget', 'tzsigner-gateway').spec.minAvailable, 1);
	const svc = find(objects, 'Service', 'tzsigner-gateway');
	assert.ok(matches(svc.spec.selector, podLabels));
	const c = dep.spec.template.spec.containers[0];
	assert.equal(svc.spec.ports[0].targetPort, c.ports[0].name);
	assert.equal(c.args[0], 'gateway');
	const arg = (flag) => c.args.filter((_, i) => c.args[i - 1] === flag);
	assert.deepEqual(arg('--box'), ['http://tzsigner-alpha:7001', 'http://tzsigner-beta:7002']);
	assert.deepEqual(arg('-p'), ['6732']);
	assert.equal(c.readinessProbe.httpGet.path, '/healthz');
	assert.equal(c.securityContext.allowPrivilegeEscalation, false);
	const sts = find(objects, 'StatefulSet', 'tzsigner-etcd');
	const headless = find(objects, 'Service', 'tzsigner-etcd');
	assert.equal(sts.spec.replicas, 3);
	assert.equal(sts.spec.serviceName, headless.metadata.name);
	assert.equal(headless.spec.clusterIP, 'None');
	assert.ok(matches(headless.spec.selector, sts.spec.template.metadata.labels));
	assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '1Gi');
	assert.equal(sts.spec.template.spec.containers[0].volumeMounts[0].name, sts.spec.volumeClaimTemplates[0].metadata.name);
	// The gateway reaches each member by its stable name, on the client port.
	const members = arg('--etcd')[0].split(',');
	assert.deepEqual(members, [0, 1, 2].map((i) => `http://tzsigner-etcd-${i}.tzsigner-etcd.tezos:2379`));
	const initial = sts.spec.template.spec.containers[0].args.find((a) => a.startsWith('--initial-cluster='));
	assert.equal(initial.split(',').length, 3);
	// The same input, the same bytes.
	assert.equal((await render([])).stdout, stdout);
	// The validator does catch mistakes.
	const bad = structuredClone(sts);
	bad.spec.replicas = 'three';
	assert.throws(() => new StatefulSet(bad).validate());
});

test('gateway render --etcd URL: an existing etcd, no StatefulSet; -A mounts authorized_keys', async () => {
	const { objects } = await render(['--etcd', 'https://etcd-a:2379,https://etcd-b:2379', '-A']);
	assert.deepEqual(objects.map((o) => o.kind).sort(), ['Deployment', 'PodDisruptionBudget', 'Service']);
	const c = find(objects, 'Deployment', 'tzsigner-gateway').spec.template.spec.containers[0];
	assert.equal(c.args[c.args.indexOf('--etcd') + 1], 'https://etcd-a:2379,https://etcd-b:2379');
	assert.ok(c.args.includes('-A'));
	assert.equal(c.volumeMounts[0].mountPath, c.args[c.args.indexOf('-d') + 1]);
});

test('gateway render refuses what it cannot render safely', async () => {
	for (const [args, re] of [
		[[], /no --box/],
		[[...BOXES, '--namespace', 'Bad_NS'], /namespace/],
		[[...BOXES, '--image', 'a b'], /image/],
		[['--box', 'tzsigner-alpha:7001'], /--box/],
		[[...BOXES, '--replicas', '1'], /replicas/],
		[[...BOXES, '--etcd', 'etcd:2379\nx'], /--etcd/],
	]) {
		const r = await runCli(['gateway', 'render', ...args]);
		assert.notEqual(r.code, 0, `accepted ${args.join(' ')}`);
		assert.match(r.stderr, re);
	}
});
