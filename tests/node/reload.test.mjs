// SIGHUP (`systemctl reload tzsigner-serve`, issue #11): the signer reads its
// base directory's keys again. A key imported while it runs signs after the
// reload, a key deleted from the files is gone (404), each change is logged
// (event=key_added / key_removed), the high watermarks are untouched (the
// same bytes are re-answered, lower levels still refused), and a directory
// that no longer loads keeps the old set serving. Signatures are checked
// with Taquito's verifySignature.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	startSigner,
	postSign,
	sign,
	assertOctezError,
	randomChainId,
} from './lib/signer.mjs';
import { op, parseLogLine, sleep } from './lib/watermark.mjs';
import { callOnce, signRequest, OK, signatureText } from './lib/octez_socket.mjs';

after(removeTempDirs);

// Waits until stderr has more than `seen` lines with event=<event>; returns them.
async function waitEvent(h, event, seen = 0, timeoutMs = 10_000) {
	const t0 = Date.now();
	for (;;) {
		const lines = h
			.stderr()
			.split('\n')
			.filter((l) => l.includes(`event=${event} `) || l.endsWith(`event=${event}`))
			.map(parseLogLine);
		if (lines.length > seen) return lines;
		if (Date.now() - t0 > timeoutMs)
			assert.fail(`no event=${event} #${seen + 1} within ${timeoutMs} ms; stderr:\n${h.stderr().slice(-3000)}`);
		await sleep(20);
	}
}

// Deletes a key's entries from the three octez files of the base directory.
async function dropKey(dir, name) {
	for (const f of ['secret_keys', 'public_keys', 'public_key_hashs']) {
		const p = path.join(dir, f);
		const entries = JSON.parse(await readFile(p, 'utf8'));
		await writeFile(p, JSON.stringify(entries.filter((e) => e.name !== name)), { mode: 0o600 });
	}
}

test('SIGHUP reloads the key set, logs what changed and keeps the watermarks', async () => {
	const dir = await makeBaseDir('reload');
	const first = await genKey(dir, 'first', 'tz1');
	const h = await startSigner(dir);
	try {
		await scenario(dir, h, first);
	} finally {
		h.kill('SIGKILL');
	}
});

async function scenario(dir, h, first) {
	const chainId = randomChainId();
	const at100 = op({ kind: 'attestation', level: 100, round: 0, chainId });
	const sig100 = await sign(h.port, first.pkh, at100);
	assert.ok(verifySignature(at100.toString('hex'), first.publicKey, sig100));

	// Imported while serving: unknown until the reload.
	const second = await genKey(dir, 'second', 'tz4');
	const at = op({ kind: 'attestation', level: 50, round: 0, chainId, keyType: 'tz4' });
	assertOctezError(await postSign(h.port, second.pkh, at), 404, null, 'a key imported after the start');

	h.kill('SIGHUP');
	const [reloaded] = await waitEvent(h, 'keys_reloaded');
	assert.equal(reloaded.keys, '2');
	assert.equal(reloaded.added, '1');
	assert.equal(reloaded.removed, '0');
	const [added] = await waitEvent(h, 'key_added');
	assert.equal(added.pkh, second.pkh);
	assert.equal(added.name, 'second');
	const sig = await sign(h.port, second.pkh, at);
	assert.ok(verifySignature(at.toString('hex'), second.publicKey, sig),
		'the reloaded tz4 key signs, and Taquito verifies it');

	// The watermarks survived: the same bytes are re-answered, a lower level refused.
	assert.equal(await sign(h.port, first.pkh, at100), sig100, 'the stored signature is re-answered');
	const at99 = op({ kind: 'attestation', level: 99, round: 0, chainId });
	assertOctezError(await postSign(h.port, first.pkh, at99), 409, /not above high watermark \(100, ?0\)/);

	// A key deleted from the files is gone after the next reload.
	await dropKey(dir, 'first');
	h.kill('SIGHUP');
	const [, again] = await waitEvent(h, 'keys_reloaded', 1);
	assert.equal(again.keys, '1');
	assert.equal(again.removed, '1');
	const [removed] = await waitEvent(h, 'key_removed');
	assert.equal(removed.pkh, first.pkh);
	assertOctezError(await postSign(h.port, first.pkh, at100), 404, null, 'a removed key');

	// A directory that does not load: the old set keeps serving.
	await writeFile(path.join(dir, 'secret_keys'), '[{"name":"second","value":"unencrypted:nonsense"}]', {
		mode: 0o600,
	});
	h.kill('SIGHUP');
	const [failed] = await waitEvent(h, 'reload_failed');
	assert.equal(failed.keeping, '1');
	const at51 = op({ kind: 'attestation', level: 51, round: 0, chainId, keyType: 'tz4' });
	await sign(h.port, second.pkh, at51);
	await h.stop();
}

// The socket protocol's requests reach the key table too: its listeners are
// stopped while the table is swapped and serve the new set afterwards.
test('SIGHUP with a --socket listener: the socket serves the reloaded key set', async () => {
	const dir = await makeBaseDir('reload-sock');
	const first = await genKey(dir, 'first', 'tz1');
	const sock = path.join(dir, 'signer.sock');
	const h = await startSigner(dir, ['--socket', `unix://${sock}`]);
	try {
		const chainId = randomChainId();
		const socketSign = async (k, level) => {
			const bytes = op({ kind: 'attestation', level, round: 0, chainId, keyType: k.pkh.slice(0, 3) });
			const r = await callOnce({ path: sock }, signRequest(k.pkh, bytes), OK.signature);
			return { bytes, r };
		};
		const a = await socketSign(first, 10);
		assert.ok(verifySignature(a.bytes.toString('hex'), first.publicKey, signatureText(a.r.ok, first.pkh)));
		const second = await genKey(dir, 'second', 'tz1');
		const before = await socketSign(second, 10);
		assert.ok(before.r.error, 'a key imported after the start is unknown on the socket too');
		h.kill('SIGHUP');
		await waitEvent(h, 'keys_reloaded');
		const b = await socketSign(second, 11);
		assert.ok(b.r.ok, JSON.stringify(b.r.error));
		assert.ok(verifySignature(b.bytes.toString('hex'), second.publicKey, signatureText(b.r.ok, second.pkh)),
			'the reloaded key signs over the socket, and Taquito verifies it');
		const below = await socketSign(first, 9);
		assert.ok(below.r.error, 'the watermark survived the reload on the socket path (level 9 < 10)');
		assert.match(JSON.stringify(below.r.error), /not above high watermark/);
		await h.stop();
	} finally {
		h.kill('SIGKILL');
	}
});
