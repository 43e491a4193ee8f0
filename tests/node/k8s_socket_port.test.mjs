// `tzsigner forwarder render --k8s` with a box's socket port (signers file
// `socket=Q`, design §2.5): the box's Service gains a port "socket" on Q and
// its NetworkPolicy admits its bakers (only them) to Q; a box without
// socket= gets neither; every object still validates against the Kubernetes
// API schemas (kubernetes-models); `check --k8s` refuses a Q that is the
// pod's own SSH or metrics port.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Service } from 'kubernetes-models/v1/Service';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { makeBaseDir, removeTempDirs, runCli, cli } from './lib/signer.mjs';
import { admitted } from './lib/netpolicy.mjs';

after(removeTempDirs);

function sshPub(dir, name) {
	const file = path.join(dir, name);
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
	return execFileSync('cat', [`${file}.pub`], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
}

async function fixture() {
	const dir = await makeBaseDir('k8s-socket');
	const signers = path.join(dir, 'signers');
	await writeFile(
		signers,
		`alpha 7001 socket=9001 bakers=tezos:baker=alpha ${sshPub(dir, 'alpha')}\n` +
			`beta 7002 bakers=tezos:baker=beta ${sshPub(dir, 'beta')}\n`,
	);
	return { dir, signers };
}

async function objectsOf(out) {
	const objects = [];
	for (const name of await readdir(out))
		for (const doc of parseAllDocuments(await readFile(path.join(out, name), 'utf8'))) {
			assert.equal(doc.errors.length, 0, `${name}: ${doc.errors}`);
			const obj = doc.toJS();
			if (obj) objects.push(obj);
		}
	return objects;
}

test('render --k8s: socket=Q is a Service port and a NetworkPolicy rule of its box only', async () => {
	const f = await fixture();
	const out = path.join(f.dir, 'out');
	await cli(['forwarder', 'render', '--k8s', '--signers', f.signers, '--out', out, '--namespace', 'tezos']);
	const objects = await objectsOf(out);
	const services = objects.filter((o) => o.kind === 'Service');
	const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
	for (const s of services) assert.doesNotThrow(() => new Service(s).validate(), `Service ${s.metadata.name}`);
	for (const p of policies) assert.doesNotThrow(() => new NetworkPolicy(p).validate(), `NetworkPolicy ${p.metadata.name}`);

	const svc = (name) => services.find((s) => s.metadata.name === name);
	assert.deepEqual(svc('tzsigner-alpha').spec.ports, [
		{ name: 'signer', port: 7001, targetPort: 7001, protocol: 'TCP' },
		{ name: 'socket', port: 9001, targetPort: 9001, protocol: 'TCP' },
	]);
	assert.deepEqual(svc('tzsigner-beta').spec.ports, [{ name: 'signer', port: 7002, targetPort: 7002, protocol: 'TCP' }]);

	const dep = objects.find((o) => o.kind === 'Deployment');
	const target = { ns: 'tezos', labels: dep.spec.template.metadata.labels };
	const baker = (b) => ({ ns: 'tezos', labels: { baker: b } });
	const stranger = { ns: 'tezos', labels: {} };
	assert.equal(admitted(policies, target, 9001, baker('alpha')), true, "alpha's baker reaches alpha's Q");
	assert.equal(admitted(policies, target, 7001, baker('alpha')), true, "alpha's baker reaches alpha's P");
	assert.equal(admitted(policies, target, 9001, baker('beta')), false, "beta's baker is kept from alpha's Q");
	assert.equal(admitted(policies, target, 9001, stranger), false, "a pod without labels is kept from alpha's Q");
	assert.equal(admitted(policies, target, 8001, baker('alpha')), false, 'nobody reaches P + 1000');
	// beta has no Q: the port next to it is nobody's
	assert.equal(admitted(policies, target, 9002, baker('beta')), false, 'beta has no socket port');
	assert.equal(admitted(policies, target, 7002, baker('beta')), true);
});

test('check --k8s: a socket port that is the pod\'s SSH or metrics port is refused', async () => {
	const f = await fixture();
	const ok = await runCli(['forwarder', 'check', '--k8s', '--signers', f.signers]);
	assert.equal(ok.code, 0, ok.stderr);
	assert.match(ok.stdout, /alpha +P=7001 +sshd=8001 +socket=9001 /);
	assert.match(ok.stdout, /beta +P=7002 +sshd=8002 +socket=- /);
	const clash = await runCli(['forwarder', 'check', '--k8s', '--signers', f.signers, '--metrics', '127.0.0.1:9001']);
	assert.notEqual(clash.code, 0);
	assert.match(clash.stderr, /metrics port 9001 is (also )?box 'alpha''s socket port/);
	const listen = await runCli(['forwarder', 'check', '--signers', f.signers, '--listen', '0.0.0.0:9001']);
	assert.notEqual(listen.code, 0);
	assert.match(listen.stderr, /SSH listen port 9001 is box 'alpha''s socket port \(signers file line 1\)/);
});
