// HTTP keep-alive, concurrent requests and graceful shutdown. Also run by
// `tests/run --tsan` against the ThreadSanitizer build.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	startSigner,
	request,
	postSign,
	sign,
	consensusOp,
	blockHeader,
	randomChainId,
} from './lib/signer.mjs';

let dir;
const keys = {};

before(async () => {
	dir = await makeBaseDir('conc');
	for (const type of ['tz1', 'tz2', 'tz3', 'tz4']) keys[type] = await genKey(dir, `c_${type}`, type);
});

after(removeTempDirs);

function msgFor(type) {
	return consensusOp({ magic: 0x13, tag: type === 'tz4' ? 41 : 21 });
}

test('64 concurrent signs over a keep-alive agent (8 sockets) all verify, and sockets are reused', async () => {
	const s = await startSigner(dir);
	const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
	let sockets = 0;
	const origCreate = agent.createConnection.bind(agent);
	agent.createConnection = (...args) => {
		sockets++;
		return origCreate(...args);
	};
	try {
		const types = ['tz1', 'tz2', 'tz3', 'tz4'];
		const jobs = [];
		for (let i = 0; i < 64; i++) {
			const type = types[i % 4];
			const msg = msgFor(type);
			jobs.push(
				postSign(s.port, keys[type].pkh, msg, { agent }).then((r) => ({ r, msg, type })),
			);
		}
		const results = await Promise.all(jobs);
		for (const { r, msg, type } of results) {
			assert.equal(r.status, 200, `${type}: ${r.status} ${r.text}`);
			assert.notEqual(r.headers.connection, 'close', 'the server closed a keep-alive connection');
			assert.ok(verifySignature(msg, keys[type].publicKey, r.json.signature), `${type} signature does not verify`);
		}
		// 64 answers over at most 8 connections: the connections were kept alive
		// (a server closing them would make the agent open new ones).
		assert.ok(sockets >= 1 && sockets <= 8, `${sockets} sockets opened for 64 requests with maxSockets 8`);
	} finally {
		agent.destroy();
		await s.stop();
	}
});

test('one keep-alive socket carries 50 sequential requests (GET and POST mixed)', async () => {
	const s = await startSigner(dir);
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	let sockets = 0;
	const origCreate = agent.createConnection.bind(agent);
	agent.createConnection = (...args) => {
		sockets++;
		return origCreate(...args);
	};
	try {
		for (let i = 0; i < 50; i++) {
			const type = ['tz1', 'tz4'][i % 2];
			if (i % 5 === 0) {
				const r = await request(s.port, 'GET', `/keys/${keys[type].pkh}`, undefined, { agent });
				assert.equal(r.status, 200, r.text);
				assert.equal(r.json.public_key, keys[type].publicKey);
			} else if (i % 7 === 0) {
				// An error answer must not break the connection either.
				const r = await request(s.port, 'POST', `/keys/${keys[type].pkh}`, '"zz"', { agent });
				assert.equal(r.status, 400, r.text);
			} else {
				const msg = msgFor(type);
				const r = await postSign(s.port, keys[type].pkh, msg, { agent });
				assert.equal(r.status, 200, r.text);
				assert.ok(verifySignature(msg, keys[type].publicKey, r.json.signature));
			}
		}
		assert.equal(sockets, 1, `${sockets} sockets used for 50 sequential keep-alive requests`);
	} finally {
		agent.destroy();
		await s.stop();
	}
});

test('HTTP/1.1 pipelining on one raw socket: two requests written at once get two answers in order', async () => {
	const s = await startSigner(dir);
	try {
		const m1 = msgFor('tz1');
		const m2 = msgFor('tz1');
		const req = (m) => {
			const body = JSON.stringify(m.toString('hex'));
			return `POST /keys/${keys.tz1.pkh} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
		};
		const text = await new Promise((resolve, reject) => {
			const sock = net.connect(s.port, '127.0.0.1');
			let buf = '';
			const t = setTimeout(() => {
				sock.destroy();
				reject(new Error(`no two answers within 20 s: ${buf}`));
			}, 20_000);
			sock.setEncoding('utf8');
			sock.on('data', (d) => {
				buf += d;
				const sigs = buf.match(/"signature"\s*:\s*"[^"]+"/g) ?? [];
				if (sigs.length >= 2) {
					clearTimeout(t);
					sock.end();
					resolve(buf);
				}
			});
			sock.on('error', (e) => {
				clearTimeout(t);
				reject(e);
			});
			sock.write(req(m1) + req(m2));
		});
		const sigs = [...text.matchAll(/"signature"\s*:\s*"([^"]+)"/g)].map((m) => m[1]);
		assert.equal((text.match(/HTTP\/1\.1 200 /g) ?? []).length, 2, text);
		assert.ok(verifySignature(m1, keys.tz1.publicKey, sigs[0]), 'first answer is not for the first request');
		assert.ok(verifySignature(m2, keys.tz1.publicKey, sigs[1]), 'second answer is not for the second request');
	} finally {
		await s.stop();
	}
});

test('200 concurrent requests across keys and kinds (no keep-alive) all succeed and verify', async () => {
	const s = await startSigner(dir);
	try {
		const types = ['tz1', 'tz2', 'tz3', 'tz4'];
		const jobs = [];
		for (let i = 0; i < 200; i++) {
			const type = types[i % 4];
			let msg;
			if (i % 3 === 0) msg = blockHeader();
			else msg = consensusOp({ magic: i % 2 ? 0x13 : 0x12, tag: type === 'tz4' ? (i % 2 ? 41 : 40) : i % 2 ? 21 : 20 });
			jobs.push(postSign(s.port, keys[type].pkh, msg).then((r) => ({ r, msg, type })));
		}
		for (const { r, msg, type } of await Promise.all(jobs)) {
			assert.equal(r.status, 200, `${type}: ${r.status} ${r.text}`);
			assert.ok(verifySignature(msg, keys[type].publicKey, r.json.signature));
		}
	} finally {
		await s.stop();
	}
});

// High watermarks (design §2.2).
test('concurrent signs on one chain and key at increasing levels: none is signed twice at one level, all answers are 200 or 409', async () => {
	const s = await startSigner(dir);
	try {
		const chainId = randomChainId();
		const jobs = [];
		for (let i = 0; i < 40; i++) {
			// Two different payloads per level: at most one may be signed.
			const level = 100 + Math.floor(i / 2);
			const msg = consensusOp({ magic: 0x13, tag: 21, chainId, level, round: 0 });
			jobs.push(postSign(s.port, keys.tz1.pkh, msg).then((r) => ({ r, msg, level })));
		}
		const signedAt = new Map();
		for (const { r, msg, level } of await Promise.all(jobs)) {
			assert.ok(r.status === 200 || r.status === 409, `${r.status} ${r.text}`);
			if (r.status === 200) {
				assert.ok(verifySignature(msg, keys.tz1.publicKey, r.json.signature));
				assert.ok(!signedAt.has(level), `two different attestations signed at level ${level}`);
				signedAt.set(level, msg);
			}
		}
		assert.ok(signedAt.size >= 1);
	} finally {
		await s.stop();
	}
});

test('SIGTERM with idle keep-alive connections open: exits 0 promptly', async () => {
	const s = await startSigner(dir);
	const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
	try {
		await Promise.all([0, 1, 2, 3].map(() => sign(s.port, keys.tz1.pkh, msgFor('tz1'), { agent })));
		const t0 = Date.now();
		await s.stop('SIGTERM', 10_000);
		assert.ok(Date.now() - t0 < 10_000);
	} finally {
		agent.destroy();
	}
});

test('SIGTERM while requests are in flight: exits 0; every answered request verifies', async () => {
	const s = await startSigner(dir);
	const jobs = [];
	for (let i = 0; i < 40; i++) {
		const type = ['tz1', 'tz4'][i % 2];
		const msg = msgFor(type);
		jobs.push(
			postSign(s.port, keys[type].pkh, msg)
				.then((r) => ({ r, msg, type }))
				.catch((e) => ({ e })),
		);
	}
	await new Promise((r) => setTimeout(r, 20));
	await s.stop('SIGTERM', 15_000);
	for (const { r, msg, type, e } of await Promise.all(jobs)) {
		if (e) continue; // connection refused/reset after shutdown began
		if (r.status === 200) assert.ok(verifySignature(msg, keys[type].publicKey, r.json.signature));
		else assert.ok(r.status >= 500 || r.status === 503, `${r.status} ${r.text}`);
	}
});

test('SIGINT stops the daemon with exit status 0', async () => {
	const s = await startSigner(dir);
	await sign(s.port, keys.tz2.pkh, msgFor('tz2'));
	await s.stop('SIGINT');
});

test('after SIGTERM the port is closed', async () => {
	const s = await startSigner(dir);
	const port = s.port;
	assert.equal((await request(port, 'GET', '/authorized_keys')).status, 200);
	await s.stop();
	await assert.rejects(request(port, 'GET', '/authorized_keys', undefined, { timeoutMs: 3000 }));
});

test('SIGTERM right after event=listening: exit status 0, 25 times in a row', async () => {
	// A supervisor may stop the signer at any moment once it announced itself.
	const d = await makeBaseDir('conc-early');
	await genKey(d, 'early', 'tz1');
	for (let i = 0; i < 25; i++) {
		const s = await startSigner(d);
		await s.stop('SIGTERM');
	}
});
