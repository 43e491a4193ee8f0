// Helpers for the high watermark, authentication, policy, audit and crash
// tests (issue #3). They build on lib/signer.mjs and add: chain ids,
// blake2b-256, the binary pkh of the authentication message, Taquito
// InMemorySigner clients, parsing of the key=value log lines, and a
// restartable signer for kill -9 tests.

import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { blake2b } from '@noble/hashes/blake2b';
import { b58Encode, b58DecodeAndCheckPrefix, PrefixV2 } from '@taquito/utils';
import { InMemorySigner } from '@taquito/signer';
import { consensusOp, blockHeader, TAG, randomBlsSecretKey } from './signer.mjs';

// Tezos mainnet.
export const MAINNET = 'NetXdQprcVkpaWU';

export function chainIdBytes(b58) {
	const [raw] = b58DecodeAndCheckPrefix(b58, [PrefixV2.ChainID]);
	assert.equal(raw.length, 4);
	return Buffer.from(raw);
}

export function chainIdB58(buf) {
	return b58Encode(buf, PrefixV2.ChainID);
}

export function blake2b256(buf) {
	return Buffer.from(blake2b(buf, { dkLen: 32 }));
}

export function blake2b256Hex(buf) {
	return blake2b256(buf).toString('hex');
}

// The 21-byte binary form of a tz1…tz4: tag (00 ed25519, 01 secp256k1,
// 02 p256, 03 bls) ‖ 20-byte hash.
export function pkhBinary(pkh) {
	const tags = {
		[PrefixV2.Ed25519PublicKeyHash]: 0,
		[PrefixV2.Secp256k1PublicKeyHash]: 1,
		[PrefixV2.P256PublicKeyHash]: 2,
		[PrefixV2.BLS12_381PublicKeyHash]: 3,
	};
	const [raw, pre] = b58DecodeAndCheckPrefix(pkh, Object.keys(tags));
	assert.equal(raw.length, 20);
	return Buffer.concat([Buffer.from([tags[pre]]), Buffer.from(raw)]);
}

// A Taquito InMemorySigner on a fresh random key: an independent client.
export function randomClient(type = 'tz1') {
	const secret = {
		tz1: () => b58Encode(randomBytes(32), PrefixV2.Ed25519Seed),
		tz2: () => b58Encode(randomBytes(32), PrefixV2.Secp256k1SecretKey),
		tz3: () => b58Encode(randomBytes(32), PrefixV2.P256SecretKey),
		tz4: () => randomBlsSecretKey(),
	}[type]();
	return { signer: new InMemorySigner(secret), secret };
}

// The authentication of a sign request (octez -A): a signature by the
// client's key over 0x04 ‖ 0x01 ‖ pkh_bin(target) ‖ data. Taquito's
// sign(bytes, watermark) signs watermark ‖ bytes (for ed25519 it signs
// blake2b-256 of it, as octez does), so the 0x04 goes in as the watermark.
export async function authSignature(client, targetPkh, data) {
	const body = Buffer.concat([Buffer.from([0x01]), pkhBinary(targetPkh), data]);
	const { prefixSig } = await client.sign(body.toString('hex'), new Uint8Array([0x04]));
	return prefixSig;
}

export function authQuery(sig) {
	return `?authentication=${encodeURIComponent(sig)}`;
}

// ---------------------------------------------------------------------------
// payloads by kind

// op({kind, level, round, chainId, key}) builds bytes of that kind for a key
// type: attestation / preattestation use tags 21/20 (tz1–tz3) or 41/40 (tz4);
// 'attestation23' is the DAL attestation (tag 23); a block takes lockedRound.
export function op({ kind, level, round, chainId, keyType = 'tz1', lockedRound, slot }) {
	const bls = keyType === 'tz4';
	switch (kind) {
		case 'attestation':
			return consensusOp({ magic: 0x13, tag: bls ? TAG.attestationBls : TAG.attestation, chainId, level, round, slot });
		case 'attestation23':
			return consensusOp({ magic: 0x13, tag: TAG.attestationWithDal, chainId, level, round, slot });
		case 'preattestation':
			return consensusOp({ magic: 0x12, tag: bls ? TAG.preattestationBls : TAG.preattestation, chainId, level, round, slot });
		case 'block':
			return blockHeader({ chainId, level, round, lockedRound: lockedRound ?? null });
		default:
			throw new Error(`unknown kind ${kind}`);
	}
}

// ---------------------------------------------------------------------------
// logs

// Parses one `key=value key="quoted value"` line.
export function parseLogLine(line) {
	const out = {};
	const re = /([A-Za-z_][A-Za-z0-9_]*)=("((?:[^"\\]|\\.)*)"|\S*)/g;
	let m;
	while ((m = re.exec(line))) {
		// logfmt tools (Loki, Vector, promtail) keep one value per key: a key twice is a bug.
		if (Object.hasOwn(out, m[1])) throw new Error(`log line repeats the key '${m[1]}': ${line}`);
		out[m[1]] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2];
	}
	return out;
}

// The audit lines (one per sign decision) in a signer's stderr.
export function auditLines(stderr) {
	return stderr
		.split('\n')
		.filter((l) => /\bevent=(signed|reanswered|refused)\b/.test(l) && /\bpkh=/.test(l))
		.map((l) => ({ line: l, ...parseLogLine(l) }));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until the signer's stderr holds more than `count` audit lines (the
// line is written before the answer, but the pipe may be read later).
export async function waitAudit(handle, count, { timeoutMs = 5000 } = {}) {
	const t0 = Date.now();
	for (;;) {
		const lines = auditLines(handle.stderr());
		if (lines.length > count) return lines;
		if (Date.now() - t0 > timeoutMs)
			assert.fail(`no audit line #${count + 1} within ${timeoutMs} ms; stderr tail:\n${handle.stderr().slice(-3000)}`);
		await sleep(10);
	}
}

// Waits for an audit line whose fields include all of `match` (values
// compared as strings) and returns the last such line.
export async function waitAuditMatch(handle, match, { timeoutMs = 5000 } = {}) {
	const t0 = Date.now();
	const ok = (a) => Object.entries(match).every(([k, v]) => a[k] === String(v));
	for (;;) {
		const hit = auditLines(handle.stderr()).filter(ok).at(-1);
		if (hit) return hit;
		if (Date.now() - t0 > timeoutMs)
			assert.fail(`no audit line with ${JSON.stringify(match)} within ${timeoutMs} ms; stderr tail:\n${handle.stderr().slice(-3000)}`);
		await sleep(10);
	}
}

// A random signature string of the scheme's prefix (not a signature of
// anything): a marker that can only come back from a file we wrote.
export function markerSignature(type = 'tz1') {
	const { pre, len } = {
		tz1: { pre: PrefixV2.Ed25519Signature, len: 64 },
		tz2: { pre: PrefixV2.Secp256k1Signature, len: 64 },
		tz3: { pre: PrefixV2.P256Signature, len: 64 },
		tz4: { pre: PrefixV2.BLS12_381Signature, len: 96 },
	}[type];
	return b58Encode(randomBytes(len), pre);
}
