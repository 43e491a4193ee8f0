// `tzsigner gateway` against a real 3-member etcd cluster (Debian's
// etcd-server) and real boxes (`tzsigner serve`, same keys, own base dirs):
// the octez API through the gateway, the shared watermark's rule, the same
// bytes retried on another box giving the same signature (verified with
// Taquito), two replicas racing different payloads at one (level, round),
// 2 of 3 members down (503, nothing signed), and etcd with TLS client
// certificates.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { verifySignature } from '@taquito/utils';
import { makeBaseDir, removeTempDirs, cli, genKey, postSign, request, assertOctezError, randomChainId } from './lib/signer.mjs';
import { op, chainIdB58, blake2b256Hex, randomClient, authSignature, authQuery } from './lib/watermark.mjs';
import { startEtcd } from './lib/etcd.mjs';
import { startGateway, startBoxes, startBoxPath } from './lib/gateway.mjs';

const FAST = ['--check-interval', '200', '--box-timeout', '3000', '--etcd-timeout', '500'];

function etcdGet(cluster, key) {
	const args = ['--endpoints', cluster.endpoints, 'get', key, '--print-value-only'];
	if (cluster.tlsFiles) args.push('--cacert', cluster.tlsFiles.cacert, '--cert', cluster.tlsFiles.cert, '--key', cluster.tlsFiles.key);
	return execFileSync('etcdctl', args, { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 10_000 }).toString().trim();
}

describe('gateway with a 3-member etcd and two boxes', () => {
	let cluster, base, keys, boxes, paths, gw, gw2;
	before(async () => {
		cluster = await startEtcd({ members: 3 });
		base = await makeBaseDir('gw');
		keys = { tz1: await genKey(base, 'baker', 'tz1'), tz4: await genKey(base, 'consensus', 'tz4') };
		boxes = await startBoxes(base, 2);
		paths = await Promise.all(boxes.map((b, i) => startBoxPath(b.signer.port, `box${i}`)));
		const boxArgs = paths.flatMap((p) => ['--box', p.url]);
		gw = await startGateway([...boxArgs, ...cluster.gatewayArgs(), ...FAST]);
		gw2 = await startGateway([...boxArgs, ...cluster.gatewayArgs(), ...FAST]);
	});
	after(async () => {
		await gw?.stop();
		await gw2?.stop();
		for (const p of paths ?? []) await p.stop();
		for (const b of boxes ?? []) await b.signer.stop();
		await cluster?.stop();
		await removeTempDirs();
	});

	test('the octez API: /authorized_keys {}, /keys/<pkh> the boxes\' public key, 404 for a key no box holds', async () => {
		const a = await request(gw.port, 'GET', '/authorized_keys');
		assert.equal(a.status, 200);
		assert.deepEqual(a.json, {});
		for (const k of Object.values(keys)) {
			const r = await request(gw.port, 'GET', `/keys/${k.pkh}`);
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.public_key, k.publicKey);
		}
		const other = await genKey(await makeBaseDir('other'), 'x', 'tz1');
		assertOctezError(await request(gw.port, 'GET', `/keys/${other.pkh}`), 404, /no box/);
		assertOctezError(await postSign(gw.port, other.pkh, op({ kind: 'attestation', level: 5, round: 0 })), 404, /no box/);
	});

	test('shared watermark: signs above, same bytes again, 409 for other bytes or lower, recorded in etcd', async () => {
		const chainId = randomChainId();
		for (const type of ['tz1', 'tz4']) {
			const k = keys[type];
			const m1 = op({ kind: 'attestation', level: 100, round: 1, chainId, keyType: type });
			const r1 = await postSign(gw.port, k.pkh, m1);
			assert.equal(r1.status, 200, r1.text);
			assert.ok(verifySignature(m1.toString('hex'), k.publicKey, r1.json.signature));
			const key = `/tzsigner/watermarks/${chainIdB58(chainId)}/${k.pkh}/attestation`;
			assert.deepEqual(JSON.parse(etcdGet(cluster, key)), { level: 100, round: 1, hash: blake2b256Hex(m1) });
			// The same bytes through the other replica: the same signature.
			const again = await postSign(gw2.port, k.pkh, m1);
			assert.equal(again.status, 200, again.text);
			assert.equal(again.json.signature, r1.json.signature);
			const other = op({ kind: 'attestation', level: 100, round: 1, chainId, keyType: type });
			assertOctezError(await postSign(gw2.port, k.pkh, other), 409, /^attestation level 100 and round 1 already signed with different bytes/);
			assertOctezError(await postSign(gw.port, k.pkh, op({ kind: 'attestation', level: 100, round: 0, chainId, keyType: type })), 409,
				/^attestation level 100 and round 0 not above high watermark \(100, 1\)/);
			assertOctezError(await postSign(gw.port, k.pkh, op({ kind: 'attestation', level: 99, round: 7, chainId, keyType: type })), 409,
				/not above high watermark \(100, 1\)/);
			const up = op({ kind: 'attestation', level: 100, round: 2, chainId, keyType: type });
			const r2 = await postSign(gw2.port, k.pkh, up);
			assert.equal(r2.status, 200, r2.text);
			assert.ok(verifySignature(up.toString('hex'), k.publicKey, r2.json.signature));
			assert.deepEqual(JSON.parse(etcdGet(cluster, key)), { level: 100, round: 2, hash: blake2b256Hex(up) });
			// Other kinds have their own records.
			const pre = op({ kind: 'preattestation', level: 100, round: 1, chainId, keyType: type });
			assert.equal((await postSign(gw.port, k.pkh, pre)).status, 200);
		}
		// A tag that does not fit the key: 403 before etcd is touched.
		const wrong = op({ kind: 'attestation', level: 300, round: 0, chainId, keyType: 'tz4' });
		assertOctezError(await postSign(gw.port, keys.tz1.pkh, wrong), 403);
		assert.equal(etcdGet(cluster, `/tzsigner/watermarks/${chainIdB58(chainId)}/${keys.tz1.pkh}/attestation`).includes('"level":300'), false);
	});

	test('one etcd round trip when this gateway wrote the record last; a stale record costs one more, never a wrong answer', async () => {
		const chainId = randomChainId();
		const k = keys.tz1;
		const trips = async (g) => (await request(g.port, 'GET', '/statusz')).json.etcd.round_trips;
		const att = (level, round = 0) => op({ kind: 'attestation', level, round, chainId });
		let t0 = await trips(gw);
		for (let level = 10; level < 20; level++) {
			const r = await postSign(gw.port, k.pkh, att(level));
			assert.equal(r.status, 200, r.text);
		}
		// The first finds the key absent as guessed; each next one compares
		// the revision of the put before it (the txn's header.revision).
		assert.equal((await trips(gw)) - t0, 10, 'rising levels through one gateway: not one swap each');
		// The other replica writes level 20: this gateway's record is stale.
		const m20 = att(20);
		const r20 = await postSign(gw2.port, k.pkh, m20);
		assert.equal(r20.status, 200, r20.text);
		t0 = await trips(gw);
		// Other bytes at 20: the swap (record 19 seen) fails and brings back 20: refused in that one round trip.
		assertOctezError(await postSign(gw.port, k.pkh, att(20)), 409, /^attestation level 20 and round 0 already signed with different bytes/);
		assert.equal((await trips(gw)) - t0, 1);
		// The same bytes at 20: checked against etcd without a put (a quorum read), the same signature.
		const again = await postSign(gw.port, k.pkh, m20);
		assert.equal(again.status, 200, again.text);
		assert.equal(again.json.signature, r20.json.signature);
		assert.equal((await trips(gw)) - t0, 2);
		// Lower: refused after a check that the record seen is still etcd's.
		assertOctezError(await postSign(gw.port, k.pkh, att(19, 5)), 409, /not above high watermark \(20, 0\)/);
		assert.equal((await trips(gw)) - t0, 3);
		// The other replica moves on to 21; this one at 22 finds out and writes in two round trips.
		assert.equal((await postSign(gw2.port, k.pkh, att(21))).status, 200);
		const m22 = att(22);
		const r22 = await postSign(gw.port, k.pkh, m22);
		assert.equal(r22.status, 200, r22.text);
		assert.equal((await trips(gw)) - t0, 5);
		const key = `/tzsigner/watermarks/${chainIdB58(chainId)}/${k.pkh}/attestation`;
		assert.deepEqual(JSON.parse(etcdGet(cluster, key)), { level: 22, round: 0, hash: blake2b256Hex(m22) });
	});

	test('a box that fails: the same bytes signed by the other box, the same signature (tz1 and tz4)', async () => {
		const chainId = randomChainId();
		for (const type of ['tz1', 'tz4']) {
			const k = keys[type];
			const m = op({ kind: 'block', level: 500, round: 0, chainId, keyType: type });
			const first = await postSign(gw.port, k.pkh, m);
			assert.equal(first.status, 200, first.text);
			const who = paths.find((p) => p.signed.some((s) => s.payload === m.toString('hex') && s.status === 200));
			assert.ok(who, 'no box path saw the signature');
			await who.stop(); // that box's path is cut
			try {
				const second = await postSign(gw.port, k.pkh, m);
				assert.equal(second.status, 200, second.text);
				assert.equal(second.json.signature, first.json.signature, 'a retried signature differs');
				assert.ok(verifySignature(m.toString('hex'), k.publicKey, second.json.signature));
				const signers = new Set(paths.flatMap((p) => p.signed.filter((s) => s.payload === m.toString('hex') && s.status === 200).map((s) => s.box)));
				assert.equal(signers.size, 2, 'the same bytes were not signed by both boxes');
			} finally {
				await who.start();
			}
		}
		const metrics = await request(gw.port, 'GET', '/metrics');
		assert.match(metrics.text, /^tzsigner_gateway_retries_total [1-9]/m);
	});

	test('two replicas racing different payloads at the same (level, round): exactly one signed', async () => {
		const chainId = randomChainId();
		let signedTotal = 0;
		for (let level = 1000; level < 1040; level++) {
			const a = op({ kind: 'attestation', level, round: 0, chainId });
			const b = op({ kind: 'attestation', level, round: 0, chainId });
			const [ra, rb] = await Promise.all([postSign(gw.port, keys.tz1.pkh, a), postSign(gw2.port, keys.tz1.pkh, b)]);
			const statuses = [ra.status, rb.status].sort();
			assert.deepEqual(statuses, [200, 409], `level ${level}: ${ra.status} ${ra.text} / ${rb.status} ${rb.text}`);
			const winner = ra.status === 200 ? [a, ra] : [b, rb];
			assert.ok(verifySignature(winner[0].toString('hex'), keys.tz1.publicKey, winner[1].json.signature));
			signedTotal++;
		}
		assert.equal(signedTotal, 40);
		// No box ever signed two payloads at one level.
		const byLevel = new Map();
		for (const s of paths.flatMap((p) => p.signed).filter((x) => x.status === 200)) {
			const key = s.payload.slice(0, 10) + s.payload.slice(76, 96);
			if (!byLevel.has(key)) byLevel.set(key, new Set());
			byLevel.get(key).add(s.payload);
		}
		for (const [k, set] of byLevel) assert.equal(set.size, 1, `two payloads signed at ${k}`);
	});

	test('/statusz and /metrics: the key\'s signer, boxes healthy, etcd latency, refusals by reason', async () => {
		const s = await request(gw.port, 'GET', '/statusz');
		assert.equal(s.status, 200, s.text);
		assert.equal(s.json.boxes.length, 2);
		assert.ok(s.json.boxes.every((b) => b.reachable));
		const k = s.json.keys.find((x) => x.pkh === keys.tz1.pkh);
		assert.ok(k && k.can_sign && paths.some((p) => p.url === k.signer), JSON.stringify(k));
		assert.ok(s.json.etcd.transactions > 0 && s.json.etcd.mean_ms > 0);
		const s2 = await request(gw2.port, 'GET', '/statusz');
		assert.ok(s.json.refusals.watermark + s2.json.refusals.watermark >= 40, 'the race\'s 40 refusals are not counted');
		const one = await request(gw.port, 'GET', `/statusz/${keys.tz4.pkh}`);
		assert.equal(one.status, 200);
		const m = await request(gw.port, 'GET', '/metrics');
		assert.match(m.text, /tzsigner_gateway_sign_requests_total\{outcome="watermark"\} [1-9]/);
		assert.match(m.text, /tzsigner_gateway_etcd_txn_seconds_count [1-9]/);
		assert.match(m.text, new RegExp(`tzsigner_gateway_key_signer\\{pkh="${keys.tz1.pkh}",box="http://127.0.0.1:\\d+"\\} 1`));
	});

	test('2 of 3 etcd members down: every consensus request 503, none reaches a box; back with the quorum', async () => {
		const chainId = randomChainId();
		// Signed with the quorum, so both replicas hold its record in their cache.
		const signed = op({ kind: 'attestation', level: 1999, round: 0, chainId });
		for (const g of [gw, gw2]) assert.equal((await postSign(g.port, keys.tz1.pkh, signed)).status, 200);
		const before = paths.reduce((n, p) => n + p.signed.length, 0);
		await cluster.members[1].kill();
		await cluster.members[2].kill();
		try {
			// Even the same bytes again: the check of the cached record needs a quorum.
			for (const g of [gw, gw2]) assertOctezError(await postSign(g.port, keys.tz1.pkh, signed), 503, /etcd unavailable/);
			for (let i = 0; i < 6; i++) {
				for (const type of ['tz1', 'tz4']) {
					const r = await postSign(i % 2 ? gw.port : gw2.port, keys[type].pkh, op({ kind: 'attestation', level: 2000 + i, round: 0, chainId, keyType: type }));
					assertOctezError(r, 503, /etcd unavailable/);
				}
			}
			assert.equal(paths.reduce((n, p) => n + p.signed.length, 0), before, 'a request reached a box without etcd');
			const st = await request(gw.port, 'GET', `/statusz/${keys.tz1.pkh}`);
			assert.equal(st.status, 503);
			assert.match((await request(gw.port, 'GET', '/metrics')).text, /outcome="etcd_unavailable"\} [1-9]/);
		} finally {
			cluster.members[1].start();
			cluster.members[2].start();
		}
		await cluster.waitHealthy(3);
		const m = op({ kind: 'attestation', level: 2010, round: 0, chainId });
		const r = await postSign(gw.port, keys.tz1.pkh, m);
		assert.equal(r.status, 200, r.text);
	});
});

describe('gateway with etcd over TLS (client certificates) and -A', () => {
	let cluster, base, boxes, gw, key, client;
	before(async () => {
		cluster = await startEtcd({ members: 3, tls: true });
		base = await makeBaseDir('gwtls');
		key = await genKey(base, 'baker', 'tz1');
		boxes = await startBoxes(base, 1, []);
		client = randomClient('tz1');
		const gwDir = await makeBaseDir('gwauth');
		await cli(['keys', 'authorize', await client.signer.publicKey(), '--name', 'baker', '-d', gwDir]);
		gw = await startGateway(['--box', boxes[0].signer.url, ...cluster.gatewayArgs(), ...FAST, '-A', '-d', gwDir]);
	});
	after(async () => {
		await gw?.stop();
		for (const b of boxes ?? []) await b.signer.stop();
		await cluster?.stop();
		await removeTempDirs();
	});

	test('signs through TLS etcd; a gateway without a client certificate gets 503', async () => {
		const m = op({ kind: 'attestation', level: 7, round: 0 });
		const r = await postSign(gw.port, key.pkh, m, { query: authQuery(await authSignature(client.signer, key.pkh, m)) });
		assert.equal(r.status, 200, r.text);
		assert.ok(verifySignature(m.toString('hex'), key.publicKey, r.json.signature));
		const a = await request(gw.port, 'GET', '/authorized_keys');
		assert.deepEqual(a.json, { authorized_keys: [await client.signer.publicKeyHash()] });
		const noCert = await startGateway(['--box', boxes[0].signer.url, '--etcd', cluster.endpoints, '--etcd-cacert', cluster.tlsFiles.cacert, ...FAST]);
		try {
			const m2 = op({ kind: 'attestation', level: 8, round: 0 });
			assertOctezError(await postSign(noCert.port, key.pkh, m2), 503, /etcd unavailable/);
		} finally {
			await noCert.stop();
		}
	});

	test('-A: a request without or with a wrong authentication is 401 and never reaches etcd', async () => {
		const m = op({ kind: 'attestation', level: 50, round: 0 });
		assertOctezError(await postSign(gw.port, key.pkh, m), 401, /missing authentication/);
		const other = randomClient('tz1');
		assertOctezError(await postSign(gw.port, key.pkh, m, { query: authQuery(await authSignature(other.signer, key.pkh, m)) }), 401);
		// Not recorded: a lower level still signs.
		const low = op({ kind: 'attestation', level: 9, round: 0 });
		const r = await postSign(gw.port, key.pkh, low, { query: authQuery(await authSignature(client.signer, key.pkh, low)) });
		assert.equal(r.status, 200, r.text);
	});
});
