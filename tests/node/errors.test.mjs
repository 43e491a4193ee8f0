// Bad requests get the right 4xx status with octez's error shape
// [{"kind":"temporary","id":…,"msg":…}] and a message naming the problem,
// and the daemon keeps signing after each one.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifySignature, b58Encode, b58DecodeAndCheckPrefix, PrefixV2 } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	startSigner,
	cloneBaseDir,
	request,
	postSign,
	sign,
	consensusOp,
	blockHeader,
	genericOp,
	assertOctezError,
	randomPkh,
	zarithZ,
} from './lib/signer.mjs';

let dir;
let signer;
const keys = {};

before(async () => {
	dir = await makeBaseDir('errors');
	keys.tz1 = await genKey(dir, 'e_tz1', 'tz1');
	keys.tz3 = await genKey(dir, 'e_tz3', 'tz3');
	keys.tz4 = await genKey(dir, 'e_tz4', 'tz4');
	signer = await startSigner(dir);
});

after(async () => {
	try {
		if (signer) await signer.stop();
	} finally {
		await removeTempDirs();
	}
});

// A valid sign on the same daemon, verified: it is still serving.
async function stillServes(s = signer) {
	for (const k of [keys.tz1, keys.tz4]) {
		const msg = consensusOp({ magic: 0x13, tag: k === keys.tz4 ? 41 : 21 });
		const sig = await sign(s.port, k.pkh, msg);
		assert.ok(verifySignature(msg, k.publicKey, sig), 'a valid request after a bad one does not verify');
	}
}

function raw(port, pkh, body, opts) {
	return request(port, 'POST', `/keys/${pkh}`, body, opts);
}

test('a body that is not a JSON string: 400', async () => {
	const hex = consensusOp().toString('hex');
	const bodies = [
		hex, // bare hex, not JSON
		`{"data":"${hex}"}`,
		`["${hex}"]`,
		'1300',
		'null',
		`"${hex}`, // unterminated string
		`"${hex}" "${hex}"`, // two values
		'',
	];
	for (const body of bodies) {
		const r = await raw(signer.port, keys.tz1.pkh, body);
		assertOctezError(r, 400, /json|string|body|empty/i, `body ${JSON.stringify(body.slice(0, 40))}`);
		await stillServes();
	}
	// No body at all.
	const r = await request(signer.port, 'POST', `/keys/${keys.tz1.pkh}`);
	assertOctezError(r, 400, /json|string|body|empty/i, 'no body');
	await stillServes();
});

test('a JSON string with surrounding whitespace is still a JSON string (signs)', async () => {
	const msg = consensusOp();
	const r = await raw(signer.port, keys.tz1.pkh, ` ${JSON.stringify(msg.toString('hex'))}\n`);
	assert.equal(r.status, 200, r.text);
	assert.ok(verifySignature(msg, keys.tz1.publicKey, r.json.signature));
});

test('non-hex characters: 400 naming hex', async () => {
	const hex = consensusOp().toString('hex');
	for (const bad of [`${hex.slice(0, 20)}zz${hex.slice(22)}`, `0x${hex}`, `${hex.slice(0, 40)} ${hex.slice(41)}`, 'g'.repeat(160)]) {
		const r = await raw(signer.port, keys.tz1.pkh, JSON.stringify(bad));
		assertOctezError(r, 400, /hex/i, `non-hex ${bad.slice(0, 24)}`);
		await stillServes();
	}
});

test('odd number of hex digits: 400', async () => {
	const hex = consensusOp().toString('hex');
	for (const bad of [hex.slice(0, -1), `${hex}0`, '1']) {
		const r = await raw(signer.port, keys.tz1.pkh, JSON.stringify(bad));
		assertOctezError(r, 400, /odd|length|hex/i, `odd length ${bad.length}`);
		await stillServes();
	}
});

test('empty string: 400 naming empty', async () => {
	const r = await raw(signer.port, keys.tz1.pkh, '""');
	assertOctezError(r, 400, /empty/i, 'empty string');
	await stillServes();
});

test('a body over 64 KiB: 413 (or 400)', async () => {
	const big = JSON.stringify('13' + 'ab'.repeat(40_000)); // 80 KB
	const r = await raw(signer.port, keys.tz1.pkh, big);
	assertOctezError(r, [413, 400], /large|big|size|long|limit|64/i, 'an 80 KB body');
	await stillServes();
	// Just over the limit.
	const edge = JSON.stringify('13' + 'ab'.repeat(32 * 1024)); // 65 540 bytes
	const r2 = await raw(signer.port, keys.tz1.pkh, edge);
	assertOctezError(r2, [413, 400], null, 'a 65 540-byte body');
	await stillServes();
});

test('unknown key: 404 for GET and POST', async () => {
	for (const type of ['tz1', 'tz2', 'tz3', 'tz4']) {
		const pkh = randomPkh(type);
		const g = await request(signer.port, 'GET', `/keys/${pkh}`);
		assertOctezError(g, 404, /key|unknown|not found|no such/i, `GET unknown ${type}`);
		const p = await postSign(signer.port, pkh, consensusOp({ tag: type === 'tz4' ? 41 : 21 }));
		assertOctezError(p, 404, /key|unknown|not found|no such/i, `POST unknown ${type}`);
	}
	await stillServes();
});

test('malformed pkh in the path: 400', async () => {
	const good = keys.tz1.pkh;
	const [h] = b58DecodeAndCheckPrefix(good, [PrefixV2.Ed25519PublicKeyHash]);
	// Right length and prefix, checksum broken.
	const badSum = good.slice(0, -1) + (good.endsWith('1') ? '2' : '1');
	// Valid base58check with the tz1 prefix bytes but a 19-byte hash.
	const shortHash = b58Encode(h.slice(0, 19), PrefixV2.Ed25519PublicKeyHash);
	for (const pkh of ['tz1abc', badSum, 'hello', 'tz1' + '0'.repeat(33), shortHash]) {
		for (const method of ['GET', 'POST']) {
			const r =
				method === 'GET'
					? await request(signer.port, 'GET', `/keys/${encodeURIComponent(pkh)}`)
					: await postSign(signer.port, encodeURIComponent(pkh), consensusOp());
			assertOctezError(r, 400, /pkh|public key hash|key hash|tz[1-4]|checksum|base58/i, `${method} /keys/${pkh}`);
		}
	}
	await stillServes();
});

test('wrong method: 405', async () => {
	const pkh = keys.tz1.pkh;
	for (const [method, p] of [
		['DELETE', `/keys/${pkh}`],
		['PUT', `/keys/${pkh}`],
		['PATCH', `/keys/${pkh}`],
		['POST', '/authorized_keys'],
		['DELETE', '/authorized_keys'],
	]) {
		const body = method === 'DELETE' ? undefined : JSON.stringify(consensusOp().toString('hex'));
		const r = await request(signer.port, method, p, body);
		assertOctezError(r, 405, /method|allowed/i, `${method} ${p}`);
		await stillServes();
	}
});

test('unknown path: 404', async () => {
	for (const p of ['/', '/nope', '/keys', `/keys/${keys.tz1.pkh}/extra`, '/authorized_keys/x', '/chains/main/blocks/head']) {
		const r = await request(signer.port, 'GET', p);
		assertOctezError(r, 404, /endpoint|path|not found|no such|unknown/i, `GET ${p}`);
	}
	await stillServes();
});

test('magic byte outside the default policy (0x11, 0x12, 0x13): 403', async () => {
	for (const msg of [genericOp(), Buffer.concat([Buffer.from([0x05]), Buffer.from('0707010000000161', 'hex')]), Buffer.from('04ffee', 'hex'), Buffer.from('01' + 'aa'.repeat(40), 'hex')]) {
		for (const k of [keys.tz1, keys.tz4]) {
			const r = await postSign(signer.port, k.pkh, msg);
			assertOctezError(r, 403, /magic|0x0[1-5]|policy|allow|watermark/i, `magic 0x${msg[0].toString(16)}`);
		}
		await stillServes();
	}
});

test('an operation shorter than its layout: 400', async () => {
	const att = consensusOp({ magic: 0x13, tag: 21 });
	const bls = consensusOp({ magic: 0x13, tag: 41 });
	const blk = blockHeader({ lockedRound: null });
	const L = blk.readUInt32BE(83);
	const dal = consensusOp({ magic: 0x13, tag: 23, dal: 1000n });
	const cases = [
		['tz1', att.subarray(0, 79), 'attestation (tag 21) of 79 bytes'],
		['tz1', att.subarray(0, 48), 'attestation (tag 21) ending after the round'],
		['tz1', att.subarray(0, 38), 'attestation ending at its tag'],
		['tz1', att.subarray(0, 37), 'attestation without a tag'],
		['tz1', att.subarray(0, 5), 'attestation with only a chain id'],
		['tz1', Buffer.from([0x13]), 'a lone 0x13'],
		['tz1', Buffer.from([0x12, 1, 2]), 'a preattestation of 3 bytes'],
		['tz1', consensusOp({ magic: 0x12, tag: 20 }).subarray(0, 60), 'preattestation (tag 20) of 60 bytes'],
		['tz1', dal.subarray(0, 80), 'attestation with DAL (tag 23) without its bitset'],
		['tz1', Buffer.concat([dal.subarray(0, 80), Buffer.from([0x80, 0x81])]), 'tag 23 with an unterminated Zarith bitset'],
		['tz4', bls.subarray(0, 77), 'attestation (tag 41) of 77 bytes'],
		['tz4', bls.subarray(0, 45), 'attestation (tag 41) ending inside the round'],
		['tz4', consensusOp({ magic: 0x12, tag: 40 }).subarray(0, 41), 'preattestation (tag 40) ending inside the round'],
		['tz1', blk.subarray(0, 86), 'block ending inside the fitness length'],
		['tz1', blk.subarray(0, 83 + L + 3), 'block ending inside the round'],
		['tz1', Buffer.from([0x11, 1, 2, 3, 4, 0, 0, 0, 9]), 'block of 9 bytes'],
		['tz1', Buffer.from([0x11]), 'a lone 0x11'],
	];
	// A block whose fitness length points past the end.
	const liar = Buffer.from(blk);
	liar.writeUInt32BE(liar.length, 83);
	cases.push(['tz1', liar, 'block with a fitness length past the end']);
	for (const [type, msg, what] of cases) {
		const r = await postSign(signer.port, keys[type].pkh, msg);
		assertOctezError(r, 400, /short|length|truncat|bytes|layout|malformed|fitness|zarith|bitset/i, what);
		await stillServes();
	}
});

test('an unknown tag under 0x12/0x13: 400 naming the tag', async () => {
	for (const tag of [0, 1, 19, 22, 24, 30, 31, 39, 42, 99, 255]) {
		for (const magic of [0x12, 0x13]) {
			const msg = consensusOp({ magic, tag: 21 });
			msg[37] = tag;
			for (const k of [keys.tz1, keys.tz4]) {
				const r = await postSign(signer.port, k.pkh, msg);
				assertOctezError(r, 400, /tag/i, `magic 0x${magic.toString(16)} tag ${tag} for ${k.pkh.slice(0, 3)}`);
			}
		}
	}
	await stillServes();
});

test('a tag that does not fit the key type: 403 (40/41 for tz4 only, 20/21/23 for tz1–tz3)', async () => {
	for (const k of [keys.tz1, keys.tz3]) {
		for (const [magic, tag] of [[0x12, 40], [0x13, 41]]) {
			const r = await postSign(signer.port, k.pkh, consensusOp({ magic, tag }));
			assertOctezError(r, 403, /tag|bls|tz4|key/i, `${k.pkh.slice(0, 3)} signing tag ${tag}`);
		}
	}
	for (const [magic, tag] of [[0x12, 20], [0x13, 21], [0x13, 23]]) {
		const r = await postSign(signer.port, keys.tz4.pkh, consensusOp({ magic, tag }));
		assertOctezError(r, 403, /tag|bls|tz4|key/i, `tz4 signing tag ${tag}`);
	}
	await stillServes();
});

test('-M 0x03 allows generic operations (and only them)', async () => {
	const s = await startSigner(await cloneBaseDir(dir), ['-M', '0x03']);
	try {
		for (const k of [keys.tz1, keys.tz3, keys.tz4]) {
			const op = genericOp();
			const sig = await sign(s.port, k.pkh, op);
			assert.ok(verifySignature(op, k.publicKey, sig), 'generic operation signature does not verify');
		}
		const r = await postSign(s.port, keys.tz1.pkh, consensusOp({ magic: 0x13, tag: 21 }));
		assertOctezError(r, 403, /magic|0x13|allow/i, 'attestation under -M 0x03');
	} finally {
		await s.stop();
	}
});

test('-M 0x13 narrows the policy: blocks and preattestations are refused, attestations sign', async () => {
	const s = await startSigner(await cloneBaseDir(dir), ['-M', '0x13']);
	try {
		for (const k of [keys.tz1, keys.tz4]) {
			const bls = k === keys.tz4;
			assertOctezError(await postSign(s.port, k.pkh, blockHeader()), 403, null, 'block under -M 0x13');
			assertOctezError(await postSign(s.port, k.pkh, consensusOp({ magic: 0x12, tag: bls ? 40 : 20 })), 403, null, 'preattestation under -M 0x13');
			assertOctezError(await postSign(s.port, k.pkh, genericOp()), 403, null, 'generic under -M 0x13');
			const msg = consensusOp({ magic: 0x13, tag: bls ? 41 : 21 });
			assert.ok(verifySignature(msg, k.publicKey, await sign(s.port, k.pkh, msg)));
		}
	} finally {
		await s.stop();
	}
});

test('-M with several bytes: 0x11,0x12,0x13,0x03', async () => {
	const s = await startSigner(await cloneBaseDir(dir), ['-M', '0x11,0x12,0x13,0x03']);
	try {
		for (const msg of [blockHeader(), consensusOp({ magic: 0x12, tag: 20 }), consensusOp({ magic: 0x13, tag: 23 }), genericOp()]) {
			assert.ok(verifySignature(msg, keys.tz1.publicKey, await sign(s.port, keys.tz1.pkh, msg)));
		}
		assertOctezError(await postSign(s.port, keys.tz1.pkh, Buffer.from('05' + '00'.repeat(10), 'hex')), 403, null, '0x05');
	} finally {
		await s.stop();
	}
});

// octez reads each -M item with OCaml's int_of_string (src/bin_signer/
// main_signer.ml, magic_bytes_arg): 17 is decimal (0x11), 0x11 hex, 0x3 is
// 0x03, and empty items are dropped (String.split_no_empty).
test('-M spellings mean what they mean to octez: 17,18,19 and 0x11,0x12,0x13 sign a block; 0x3 a generic op', async () => {
	for (const m of ['17,18,19', '0x11,0x12,0x13', '0o21,0b10010,0u19', '0x11,,18,']) {
		const s = await startSigner(await cloneBaseDir(dir), ['-M', m]);
		try {
			const block = blockHeader();
			assert.ok(verifySignature(block, keys.tz1.publicKey, await sign(s.port, keys.tz1.pkh, block)), `-M ${m}: block`);
			assertOctezError(await postSign(s.port, keys.tz1.pkh, genericOp()), 403, /allowed: 0x11,0x12(,0x13)?\)/, `-M ${m}: generic`);
			assert.match(s.stderr(), /magic_bytes=0x11,0x12/, `-M ${m}: the startup line`);
		} finally {
			await s.stop();
		}
	}
	const s = await startSigner(await cloneBaseDir(dir), ['-M', '0x3']);
	try {
		const op = genericOp();
		assert.ok(verifySignature(op, keys.tz1.publicKey, await sign(s.port, keys.tz1.pkh, op)));
		assertOctezError(await postSign(s.port, keys.tz1.pkh, blockHeader()), 403, /allowed: 0x03\)/, '-M 0x3: block');
	} finally {
		await s.stop();
	}
});

test('a malformed -M is refused at start', async () => {
	for (const m of ['0x1g', '300', ',', '-1', '0x11 0x12']) {
		await assert.rejects(startSigner(await cloneBaseDir(dir), ['-M', m], { timeoutMs: 15_000 }), (e) => {
			assert.notEqual(e.code, undefined, `not an exit: ${e.message}`);
			assert.notEqual(e.code, 0, `-M ${JSON.stringify(m)} accepted`);
			return true;
		});
	}
});

// Ushuaia (025): 5 lags x 160 slots (proto_025_PsUshuai/lib_protocol/
// dal_attestations_repr.mli layout; dal_apply.ml validate_attestations bounds
// it at expected_max_size_in_bits = 5 + 5 x 23 x 8 = 925 bits). Every slot at
// every lag attested is the longest valid bitset, 133 bytes of Zarith.
function ushuaiaFullBitset() {
	let v = 0n;
	let at = 5n;
	for (let lag = 0n; lag < 5n; lag++) {
		v |= 1n << lag;
		for (let c = 0; c < 23; c++, at += 8n) {
			if (c === 22) v |= 1n << at;
			for (let s = 0; s < 7; s++) if (c * 7 + s < 160) v |= 1n << (at + 1n + BigInt(s));
		}
	}
	return v;
}

test('a maximal Ushuaia DAL bitset (133-byte Zarith) signs; one byte longer is refused with a message', async () => {
	const full = ushuaiaFullBitset();
	assert.equal(zarithZ(full).length, 133);
	const msg = consensusOp({ magic: 0x13, tag: 23, dal: full });
	assert.equal(msg.length, 80 + 133);
	assert.ok(verifySignature(msg, keys.tz1.publicKey, await sign(signer.port, keys.tz1.pkh, msg)));
	const longer = 1n << 930n;
	assert.equal(zarithZ(longer).length, 134);
	const r = await postSign(signer.port, keys.tz1.pkh, consensusOp({ magic: 0x13, tag: 23, dal: longer }));
	assertOctezError(r, 400, /DAL bitset .* longer than 133 bytes/, '134-byte bitset');
	const over = (1n << 925n) | 1n; // 926 bits: 133 bytes but above the protocol's size
	assert.equal(zarithZ(over).length, 133);
	const r2 = await postSign(signer.port, keys.tz1.pkh, consensusOp({ magic: 0x13, tag: 23, dal: over }));
	assertOctezError(r2, 400, /926 bits, more than the 925/, '926-bit bitset');
});

test('a Zarith DAL bitset of any size is fine (tag 23)', async () => {
	for (const dal of [0n, 1n, 127n, 128n, (1n << 64n) - 1n, 1n << 200n]) {
		const msg = consensusOp({ magic: 0x13, tag: 23, dal });
		assert.equal(msg.length, 80 + zarithZ(dal).length);
		assert.ok(verifySignature(msg, keys.tz1.publicKey, await sign(signer.port, keys.tz1.pkh, msg)));
	}
});
