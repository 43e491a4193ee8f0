// `tzsigner forwarder render --k8s`: every object validates against the
// Kubernetes API schemas (kubernetes-models, and
// @kubernetes-models/prometheus-operator for the monitoring objects) and
// carries what a cluster needs: the kinds, names and ports, Service and
// NetworkPolicy selectors that match the pods, the Secret and ConfigMap
// mounts the container's arguments point into, probes on named ports. The
// output is the same bytes for the same input, and the committed example in
// deploy/k8s/example is what the renderer makes of deploy/k8s/signers.example.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, readdir, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { REPO, makeBaseDir, removeTempDirs, runCli, cli } from './lib/signer.mjs';
import { admitted, matches } from './lib/netpolicy.mjs';

after(removeTempDirs);

const MODELS = {
	'v1/ConfigMap': ConfigMap,
	'v1/Secret': Secret,
	'v1/Service': Service,
	'apps/v1/Deployment': Deployment,
	'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
	'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
	'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

function keygen(dir, name) {
	const file = path.join(dir, name);
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
	return file;
}

async function pub(file) {
	return (await readFile(`${file}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
}

// Three boxes, one with a statusz check, written with comments and odd
// spacing; each names its baker pods (bakers=NAMESPACE:LABELS).
const BAKERS = {
	alpha: { ns: 'tezos', labels: { 'app.kubernetes.io/name': 'octez-baker', baker: 'alpha' } },
	beta: { ns: 'tezos', labels: { 'app.kubernetes.io/name': 'octez-baker', baker: 'beta' } },
	'gamma-2': { ns: 'spare', labels: { app: 'baker' } },
};
const bakersOpt = (b) =>
	`bakers=${BAKERS[b].ns}:${Object.entries(BAKERS[b].labels).map(([k, v]) => `${k}=${v}`).join(',')}`;

async function fixture() {
	const dir = await makeBaseDir('k8s');
	const host = keygen(dir, 'endpoint_host_key');
	const keys = {};
	for (const b of ['alpha', 'beta', 'gamma-2']) keys[b] = await pub(keygen(dir, `box-${b}`));
	const signers = path.join(dir, 'signers');
	await writeFile(
		signers,
		`# boxes\n\nalpha 7001 ${bakersOpt('alpha')} ${keys.alpha} alpha@home\n` +
			`beta\t7002 statusz=tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA ${bakersOpt('beta')} ${keys.beta}\n` +
			`  gamma-2   9100  ${bakersOpt('gamma-2')} ${keys['gamma-2']}   # the spare\n`,
	);
	return { dir, host, signers, keys };
}

async function render(f, out, extra = []) {
	await cli([
		'forwarder', 'render', '--k8s', '--signers', f.signers, '--out', out,
		'--namespace', 'tezos', '--image', 'registry.example/tzsigner-forwarder:0.1.0', ...extra,
	]);
	const objects = [];
	const files = {};
	for (const name of (await readdir(out)).sort()) {
		const text = await readFile(path.join(out, name), 'utf8');
		files[name] = text;
		for (const doc of parseAllDocuments(text)) {
			assert.equal(doc.errors.length, 0, `${name}: YAML errors ${doc.errors}`);
			const obj = doc.toJS();
			if (obj === null) continue; // a comment-only document
			objects.push({ file: name, obj });
		}
	}
	return { objects, files };
}

function find(objects, kind, name) {
	const found = objects.filter((o) => o.obj.kind === kind && o.obj.metadata.name === name);
	assert.equal(found.length, 1, `exactly one ${kind} ${name}, found ${found.length}`);
	return found[0].obj;
}

const KNOBS = [
	'--label', 'team=bakers', '--lb-annotation', 'service.beta.kubernetes.io/aws-load-balancer-type=nlb',
	'--lb-source-range', '203.0.113.0/24', '--node-selector', 'kubernetes.io/arch=amd64',
	'--toleration', 'dedicated=tezos:NoSchedule', '--priority-class', 'tezos-critical',
];

test('render --k8s: every object validates against the Kubernetes and Prometheus Operator schemas', async () => {
	const f = await fixture();
	const { objects } = await render(f, path.join(f.dir, 'out'), ['--host-key', f.host, '--with-secret', ...KNOBS]);
	const kinds = {};
	for (const { file, obj } of objects) {
		const key = `${obj.apiVersion}/${obj.kind}`;
		const Model = MODELS[key];
		assert.ok(Model, `${file}: unexpected ${key}`);
		assert.doesNotThrow(() => new Model(obj).validate(), `${file}: ${key} ${obj.metadata?.name} is invalid`);
		assert.equal(obj.metadata.namespace, 'tezos', `${key} ${obj.metadata.name} namespace`);
		kinds[obj.kind] = (kinds[obj.kind] ?? 0) + 1;
	}
	// 1 LB + 1 metrics + 3 boxes; two ServiceMonitors (exporter, boxes);
	// NetworkPolicies: the pod's own and one per box
	assert.deepEqual(kinds, {
		ConfigMap: 1, Secret: 1, Deployment: 1, Service: 5, ServiceMonitor: 2, PrometheusRule: 1, NetworkPolicy: 4,
	});
	// The cluster knobs are where the cluster reads them.
	const d = find(objects, 'Deployment', 'tzsigner-forwarder');
	assert.deepEqual(d.spec.template.spec.nodeSelector, { 'kubernetes.io/arch': 'amd64' });
	assert.deepEqual(d.spec.template.spec.tolerations, [
		{ key: 'dedicated', operator: 'Equal', value: 'tezos', effect: 'NoSchedule' },
	]);
	assert.equal(d.spec.template.spec.priorityClassName, 'tezos-critical');
	assert.equal(d.spec.template.metadata.labels.team, 'bakers');
	for (const { obj } of objects) assert.equal(obj.metadata.labels.team, 'bakers', `${obj.kind} ${obj.metadata.name}`);
	const lb = find(objects, 'Service', 'tzsigner-forwarder-ssh');
	assert.equal(lb.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-type'], 'nlb');
	assert.deepEqual(lb.spec.loadBalancerSourceRanges, ['203.0.113.0/24']);
	// The validator does catch mistakes (a guard against a no-op check).
	const dep = structuredClone(find(objects, 'Deployment', 'tzsigner-forwarder'));
	dep.spec.template.spec.containers[0].ports[0].containerPort = 'ssh';
	assert.throws(() => new Deployment(dep).validate());
});

test('render --k8s: what the cluster needs is wired together', async () => {
	const f = await fixture();
	const out = path.join(f.dir, 'out');
	const { objects } = await render(f, out, ['--host-key', f.host, '--with-secret']);
	const dep = find(objects, 'Deployment', 'tzsigner-forwarder');
	const pod = dep.spec.template;
	const podLabels = pod.metadata.labels;
	assert.ok(matches(dep.spec.selector.matchLabels, podLabels), 'the Deployment selects its own pods');
	assert.equal(dep.spec.replicas, 1, 'one pod: every box must be on the pod the Services reach');
	assert.equal(dep.spec.strategy.type, 'Recreate');
	assert.equal(pod.spec.securityContext.runAsNonRoot, true);
	assert.equal(pod.spec.automountServiceAccountToken, false);
	const c = pod.spec.containers[0];
	assert.equal(c.image, 'registry.example/tzsigner-forwarder:0.1.0');
	assert.equal(c.securityContext.allowPrivilegeEscalation, false);
	assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
	const portNames = Object.fromEntries(c.ports.filter((p) => p.name).map((p) => [p.name, p.containerPort]));
	const containerPorts = new Set(c.ports.map((p) => p.containerPort));
	const arg = (flag) => {
		const i = c.args.indexOf(flag);
		assert.ok(i >= 0 && i + 1 < c.args.length, `container args lack ${flag}`);
		return c.args[i + 1];
	};
	assert.deepEqual(c.args.slice(0, 2), ['forwarder', 'run']);
	assert.equal(arg('--forward-bind'), 'signer', "Services reach the pod IP: P on every address, P+1000 on loopback");
	assert.equal(arg('--listen'), `0.0.0.0:${portNames.ssh}`);
	assert.equal(arg('--metrics'), `0.0.0.0:${portNames.metrics}`);
	// The ConfigMap and Secret mounts: the args point at their keys.
	const mountOf = (volName) => {
		const m = c.volumeMounts.find((v) => v.name === volName);
		assert.ok(m, `no mount of volume ${volName}`);
		assert.equal(m.readOnly, true);
		return m.mountPath;
	};
	const vols = Object.fromEntries(pod.spec.volumes.map((v) => [v.name, v]));
	const cmVol = Object.entries(vols).find(([, v]) => v.configMap);
	const secVol = Object.entries(vols).find(([, v]) => v.secret);
	assert.ok(cmVol && secVol, 'a ConfigMap volume and a Secret volume');
	const cm = find(objects, 'ConfigMap', cmVol[1].configMap.name);
	const secret = find(objects, 'Secret', secVol[1].secret.secretName);
	const signersArg = arg('--signers');
	assert.equal(path.dirname(signersArg), mountOf(cmVol[0]));
	assert.ok(path.basename(signersArg) in cm.data, `the ConfigMap has the key ${path.basename(signersArg)}`);
	const hostKeyArg = arg('--host-key');
	assert.equal(path.dirname(hostKeyArg), mountOf(secVol[0]));
	assert.ok(path.basename(hostKeyArg) in secret.data, `the Secret has the key ${path.basename(hostKeyArg)}`);
	assert.equal(secVol[1].secret.defaultMode, 0o440);
	assert.equal(
		Buffer.from(secret.data[path.basename(hostKeyArg)], 'base64').toString('utf8'),
		await readFile(f.host, 'utf8'),
		'the Secret holds the host key file',
	);
	assert.equal((await stat(path.join(out, 'secret.yaml'))).mode & 0o777, 0o600, 'secret.yaml is 0600');
	assert.equal(
		dep.metadata.annotations['tzsigner.io/host-key'],
		await pub(f.host),
		'the host key boxes pin is on the Deployment',
	);
	// The ConfigMap's file is what the pod will parse: the same boxes.
	const copy = path.join(f.dir, 'from-configmap');
	await writeFile(copy, cm.data[path.basename(signersArg)]);
	const check = (await cli(['forwarder', 'check', '--signers', copy])).stdout;
	for (const [name, port] of [['alpha', 7001], ['beta', 7002], ['gamma-2', 9100]])
		assert.match(check, new RegExp(`^  ${name} +P=${port} `, 'm'));
	// Probes on named container ports.
	assert.equal(c.readinessProbe.httpGet.path, '/readyz');
	assert.ok(c.readinessProbe.httpGet.port in portNames);
	assert.ok(c.livenessProbe.httpGet.port in portNames);

	// The SSH LoadBalancer and the exporter's Service reach named ports of the pods.
	const lb = find(objects, 'Service', 'tzsigner-forwarder-ssh');
	assert.equal(lb.spec.type, 'LoadBalancer');
	assert.ok(matches(lb.spec.selector, podLabels), 'the LoadBalancer selects the forwarder pods');
	assert.equal(lb.spec.ports[0].port, 22);
	assert.ok(lb.spec.ports[0].targetPort in portNames);
	const ms = find(objects, 'Service', 'tzsigner-forwarder-metrics');
	assert.ok(matches(ms.spec.selector, podLabels));
	assert.ok(ms.spec.ports[0].targetPort in portNames);

	// One ClusterIP Service per box: http://tzsigner-NAME:P reaches P on the pod.
	for (const [name, port] of [['alpha', 7001], ['beta', 7002], ['gamma-2', 9100]]) {
		const s = find(objects, 'Service', `tzsigner-${name}`);
		assert.equal(s.spec.type, 'ClusterIP');
		assert.ok(matches(s.spec.selector, podLabels), `tzsigner-${name} selects the forwarder pods`);
		assert.equal(s.spec.ports.length, 1);
		assert.equal(s.spec.ports[0].port, port);
		assert.equal(s.spec.ports[0].targetPort, port);
		assert.ok(!containerPorts.has(port), `port ${port} is not in the pod template (a box change must not roll it)`);
		assert.ok(!containerPorts.has(port + 1000), `the box's sshd port ${port + 1000} is not declared`);
		assert.equal(s.metadata.labels['tzsigner.io/box'], name);
	}
	assert.equal(find(objects, 'Service', 'tzsigner-beta').metadata.annotations['tzsigner.io/statusz'],
		'tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA');

	// ServiceMonitors select existing Services by label, on ports those Services name.
	const services = objects.filter((o) => o.obj.kind === 'Service').map((o) => o.obj);
	for (const smName of ['tzsigner-forwarder', 'tzsigner-boxes']) {
		const sm = find(objects, 'ServiceMonitor', smName);
		const selected = services.filter((s) => matches(sm.spec.selector.matchLabels, s.metadata.labels));
		assert.ok(selected.length > 0, `${smName} selects no Service`);
		for (const s of selected)
			for (const ep of sm.spec.endpoints)
				assert.ok(s.spec.ports.some((p) => p.name === ep.port), `${s.metadata.name} has no port ${ep.port}`);
	}
	assert.equal(
		services.filter((s) => matches(find(objects, 'ServiceMonitor', 'tzsigner-boxes').spec.selector.matchLabels, s.metadata.labels)).length,
		3,
		'the boxes ServiceMonitor scrapes every box and nothing else',
	);

	// Alerts: signer unreachable, box on battery, box on 4G, watermark refusals.
	const rules = find(objects, 'PrometheusRule', 'tzsigner-forwarder').spec.groups.flatMap((g) => g.rules);
	const byName = Object.fromEntries(rules.map((r) => [r.alert, r.expr]));
	assert.match(byName.TzsignerSignerUnreachable, /tzsigner_forwarder_box_signer_up == 0/);
	assert.match(byName.TzsignerBoxOnBattery, /tzsigner_power_source\{source="battery"\}/);
	assert.match(byName.TzsignerBoxOn4G, /tzsigner_uplink_role\{role="backup"\}/);
	assert.match(byName.TzsignerWatermarkRefusals, /outcome="refused_watermark"/);

	assert.match(byName.TzsignerForwarderDown, /== 0 or absent\(up\{service="tzsigner-forwarder-metrics"\}\)/,
		'a pod that is gone has no up series: the alert must fire on absence');
});

test('render --k8s: the NetworkPolicies admit to each box only its own bakers, and nobody to P + 1000', async () => {
	const f = await fixture();
	const { objects } = await render(f, path.join(f.dir, 'np'));
	const policies = objects.filter((o) => o.obj.kind === 'NetworkPolicy').map((o) => o.obj);
	const dep = find(objects, 'Deployment', 'tzsigner-forwarder');
	const target = { ns: 'tezos', labels: dep.spec.template.metadata.labels };
	const pod = (b) => ({ ns: BAKERS[b].ns, labels: { ...BAKERS[b].labels, 'pod-template-hash': 'x' } });
	const stranger = { ns: 'tezos', labels: {} };
	const otherTeam = { ns: 'web', labels: { ...BAKERS.alpha.labels } }; // alpha's labels, wrong namespace
	const ports = { alpha: 7001, beta: 7002, 'gamma-2': 9100 };
	// the evaluator itself can say yes and no (a guard against a check that cannot fail)
	assert.equal(admitted([], target, 7001, stranger), true, 'no policy: everything is admitted');
	for (const [box, P] of Object.entries(ports)) {
		assert.equal(admitted(policies, target, P, pod(box)), true, `${box}'s baker reaches ${box}'s P ${P}`);
		for (const other of Object.keys(ports).filter((b) => b !== box))
			assert.equal(admitted(policies, target, P, pod(other)), false, `${other}'s baker is kept from ${box}'s P`);
		assert.equal(admitted(policies, target, P, stranger), false, `a pod without labels is kept from ${box}'s P`);
		assert.equal(admitted(policies, target, P, otherTeam), false, `alpha's labels in another namespace: kept from ${box}'s P`);
		for (const from of [pod(box), stranger, otherTeam])
			assert.equal(admitted(policies, target, P + 1000, from), false, `nobody reaches ${box}'s sshd port ${P + 1000}`);
	}
	// SSH is open to the boxes (from anywhere), the exporter to the cluster.
	assert.equal(admitted(policies, target, 2222, stranger), true);
	assert.equal(admitted(policies, target, 9732, otherTeam), true);
	// --monitoring-from: Prometheus reaches every P (for /metrics), still no P + 1000.
	const prom = { ns: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
	assert.equal(admitted(policies, target, 7001, prom), false);
	const m = await render(f, path.join(f.dir, 'np-mon'), ['--monitoring-from', 'monitoring:app.kubernetes.io/name=prometheus']);
	const mp = m.objects.filter((o) => o.obj.kind === 'NetworkPolicy').map((o) => o.obj);
	for (const P of Object.values(ports)) {
		assert.equal(admitted(mp, target, P, prom), true);
		assert.equal(admitted(mp, target, P + 1000, prom), false);
	}
	for (const np of policies) assert.doesNotThrow(() => new NetworkPolicy(np).validate());
});

test('render --k8s: a change of boxes leaves the pod template alone', async () => {
	const f = await fixture();
	const a = await render(f, path.join(f.dir, 'a'));
	const fewer = path.join(f.dir, 'fewer');
	await writeFile(fewer, (await readFile(f.signers, 'utf8')).split('\n').filter((l) => !l.startsWith('beta')).join('\n'));
	const b = await render({ ...f, signers: fewer }, path.join(f.dir, 'b'));
	assert.notEqual(a.files['configmap.yaml'], b.files['configmap.yaml']);
	assert.equal(a.files['deployment.yaml'], b.files['deployment.yaml'], 'the Deployment must not change (it would replace the pod)');
});

test('forwarder check: bakers are required in Kubernetes mode, and ports must not clash', async () => {
	const f = await fixture();
	const noBakers = path.join(f.dir, 'no-bakers');
	await writeFile(noBakers, `alpha 7001 ${f.keys.alpha}\n`);
	assert.equal((await runCli(['forwarder', 'check', '--signers', noBakers])).code, 0, 'fine outside Kubernetes');
	const r = await runCli(['forwarder', 'check', '--k8s', '--signers', noBakers]);
	assert.notEqual(r.code, 0);
	assert.match(r.stderr, /box 'alpha' names no bakers/);
	const r2 = await runCli(['forwarder', 'render', '--k8s', '--signers', noBakers, '--out', path.join(f.dir, 'never')]);
	assert.notEqual(r2.code, 0);
	// P + 1000 on the metrics port, P on the SSH port: what render and run refuse, check refuses.
	const clash = path.join(f.dir, 'clash');
	await writeFile(clash, `alpha 8732 ${bakersOpt('alpha')} ${f.keys.alpha}\n`);
	const r3 = await runCli(['forwarder', 'check', '--signers', clash]);
	assert.notEqual(r3.code, 0);
	assert.match(r3.stderr, /metrics port 9732 is box 'alpha''s sshd port/);
	const r4 = await runCli(['forwarder', 'check', '--signers', clash, '--listen', '0.0.0.0:8732', '--metrics', 'off']);
	assert.notEqual(r4.code, 0);
	assert.match(r4.stderr, /SSH listen port 8732 is box 'alpha''s port/);
	assert.equal((await runCli(['forwarder', 'check', '--signers', clash, '--metrics', '127.0.0.1:9000'])).code, 0);
});

test('render --k8s: the same input gives the same bytes; the committed example is current', async () => {
	const f = await fixture();
	const a = await render(f, path.join(f.dir, 'a'), ['--host-key', f.host]);
	const b = await render(f, path.join(f.dir, 'b'), ['--host-key', f.host]);
	assert.deepEqual(a.files, b.files);
	assert.ok(!('secret.yaml' in a.files), 'no Secret without --with-secret');
	// Comments and spacing in the signers file change nothing in the output.
	const reformatted = path.join(f.dir, 'signers2');
	const text = await readFile(f.signers, 'utf8');
	await writeFile(reformatted, text.replace(/^#.*\n/gm, '\n').replace(/[ \t]+/g, ' '));
	const c = await render({ ...f, signers: reformatted }, path.join(f.dir, 'c'), ['--host-key', f.host]);
	assert.deepEqual(c.files, a.files);

	const example = path.join(REPO, 'deploy', 'k8s', 'example');
	const fresh = path.join(f.dir, 'example');
	await cli([
		'forwarder', 'render', '--k8s', '--signers', path.join(REPO, 'deploy', 'k8s', 'signers.example'),
		'--out', fresh, '--namespace', 'tezos', '--image', 'tzsigner-forwarder:0.1.0',
	]);
	const names = (await readdir(example)).sort();
	assert.deepEqual(names, (await readdir(fresh)).sort());
	for (const n of names)
		assert.equal(
			await readFile(path.join(example, n), 'utf8'),
			await readFile(path.join(fresh, n), 'utf8'),
			`deploy/k8s/example/${n} is stale: render it again (see deploy/k8s/README.md)`,
		);
});

test('render --k8s: a bad signers file fails with its line, and nothing is written', async () => {
	const f = await fixture();
	const bad = path.join(f.dir, 'bad');
	await writeFile(bad, (await readFile(f.signers, 'utf8')) + `delta 8001 ${f.keys.alpha.replace('AAAA', 'AAAB')}\n`);
	const out = path.join(f.dir, 'never');
	const r = await runCli(['forwarder', 'render', '--k8s', '--signers', bad, '--out', out]);
	assert.notEqual(r.code, 0);
	assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: `));
	await assert.rejects(stat(out), 'the output directory was created');
});
