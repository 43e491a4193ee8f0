// Helpers for the Node tests: run the tzsigner CLI, start and stop
// `tzsigner serve`, talk HTTP to it, build consensus-shaped payloads, and
// build octez-format encrypted keys independently of tzsigner.
//
// The binary is $TZSIGNER, by default the AddressSanitizer build. Every run
// is checked for sanitizer reports; a daemon must exit 0 on SIGTERM.

import { execFile, spawn } from 'node:child_process';
import { randomBytes, pbkdf2Sync } from 'node:crypto';
import { mkdtemp, rm, writeFile, chmod, copyFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import nacl from 'tweetnacl';
import { b58Encode, b58DecodeAndCheckPrefix, PrefixV2 } from '@taquito/utils';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..', '..');
export const TZSIGNER = process.env.TZSIGNER
	? path.resolve(process.env.TZSIGNER)
	: path.join(REPO, 'build', 'asan', 'tzsigner');

// The same defaults as tests/run, so a direct `node --test` behaves alike.
export const ENV = {
	...process.env,
	ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=1:abort_on_error=0:halt_on_error=1',
	UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'print_stacktrace=1:halt_on_error=1',
};

export const SANITIZER_RE =
	/LeakSanitizer|AddressSanitizer|ThreadSanitizer|UndefinedBehaviorSanitizer|runtime error/;

export function assertNoSanitizerReport(text, what) {
	if (SANITIZER_RE.test(text)) assert.fail(`${what}: sanitizer report in stderr:\n${text.slice(-4000)}`);
}

// ---------------------------------------------------------------------------
// temporary directories

const tempDirs = new Set();

export async function makeBaseDir(label = 'base') {
	const dir = await mkdtemp(path.join(os.tmpdir(), `tzsigner-${label}-`));
	await chmod(dir, 0o700);
	tempDirs.add(dir);
	return dir;
}

export async function removeTempDirs() {
	for (const d of tempDirs) {
		await rm(d, { recursive: true, force: true });
		tempDirs.delete(d);
	}
}

// Stops every daemon handle given (signers, simulators; null ones skipped),
// then removes the temporary directories, whatever failed: for after().
export async function teardown(...handles) {
	try {
		for (const h of handles) if (h) await h.stop();
	} finally {
		await removeTempDirs();
	}
}

// A second base dir with the same keys (the key files only, not the
// watermarks): a signer locks its base dir, so a second daemon over the
// same keys needs its own.
export async function cloneBaseDir(dir, label = 'clone') {
	const out = await makeBaseDir(label);
	for (const [f, mode] of [['secret_keys', 0o600], ['public_keys', 0o644], ['public_key_hashs', 0o644]]) {
		await copyFile(path.join(dir, f), path.join(out, f));
		await chmod(path.join(out, f), mode);
	}
	return out;
}

// A passphrase file: the passphrase on its first line, mode 0600.
export async function writePassFile(dir, passphrase, name = 'passphrase') {
	const file = path.join(dir, name);
	await writeFile(file, `${passphrase}\n`, { mode: 0o600 });
	await chmod(file, 0o600);
	return file;
}

// ---------------------------------------------------------------------------
// the CLI

// Runs tzsigner with args; resolves {code, signal, stdout, stderr} whatever
// the exit status. Always checks stderr for sanitizer reports.
export function runCli(args, { timeoutMs = 60_000, input } = {}) {
	return new Promise((resolve, reject) => {
		const child = execFile(
			TZSIGNER,
			args,
			{ env: ENV, timeout: timeoutMs, maxBuffer: 16 << 20, killSignal: 'SIGKILL' },
			(err, stdout, stderr) => {
				if (err && typeof err.code !== 'number' && !err.signal) {
					reject(err);
					return;
				}
				try {
					assertNoSanitizerReport(stderr, `tzsigner ${args.join(' ')}`);
				} catch (e) {
					reject(e);
					return;
				}
				resolve({
					code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
					signal: err ? err.signal ?? null : null,
					stdout,
					stderr,
				});
			},
		);
		if (input !== undefined) child.stdin.end(input);
		else child.stdin.end();
	});
}

// Runs tzsigner and asserts it exits 0.
export async function cli(args, opts) {
	const r = await runCli(args, opts);
	assert.equal(
		r.code,
		0,
		`tzsigner ${args.join(' ')} exited ${r.code} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
	);
	return r;
}

// `keys list` parsed: [{name, pkh, publicKey, storage}]
export async function listKeys(dir) {
	const { stdout } = await cli(['keys', 'list', '-d', dir]);
	return stdout
		.split('\n')
		.filter((l) => l.trim() !== '')
		.map((l) => {
			const f = l.split(' ');
			assert.equal(f.length, 4, `keys list line is not NAME PKH PUBLIC_KEY STORAGE: ${JSON.stringify(l)}`);
			return { name: f[0], pkh: f[1], publicKey: f[2], storage: f[3] };
		});
}

// `keys show` parsed into an object of its `key: value` lines.
export async function showKey(dir, nameOrPkh) {
	const { stdout } = await cli(['keys', 'show', nameOrPkh, '-d', dir]);
	const out = {};
	for (const l of stdout.split('\n')) {
		const m = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(l);
		if (m) out[m[1].toLowerCase().replace(/[ _-]+/g, '_')] = m[2];
	}
	return out;
}

// Generates a key and returns its `keys list` entry.
export async function genKey(dir, name, type, { encrypt = false, passFile } = {}) {
	const args = ['keys', 'gen', name, '--type', type];
	if (encrypt) args.push('--encrypt');
	if (passFile) args.push('-f', passFile);
	args.push('-d', dir);
	await cli(args);
	const k = (await listKeys(dir)).find((e) => e.name === name);
	assert.ok(k, `keys list does not show the generated key ${name}`);
	return k;
}

export async function importKey(dir, name, secret, { passFile } = {}) {
	const args = ['keys', 'import', name, secret];
	if (passFile) args.push('-f', passFile);
	args.push('-d', dir);
	await cli(args);
	const k = (await listKeys(dir)).find((e) => e.name === name);
	assert.ok(k, `keys list does not show the imported key ${name}`);
	return k;
}

// ---------------------------------------------------------------------------
// the daemon

const running = new Set();
process.on('exit', () => {
	// Never leave a daemon behind when a test died before stopping it.
	for (const child of running) {
		try {
			process.kill(-child.pid, 'SIGKILL');
		} catch {
			/* already gone */
		}
	}
});

// Starts `tzsigner serve -d dir -a 127.0.0.1 -p 0 ...extra` and waits for the
// `event=listening` log line and its front's `event=front_started`. Resolves a handle:
//   {port, url, pid, stderr(), stop(), kill(signal), exited}
// Rejects when the daemon exits first or does not listen within timeoutMs.
export function startSigner(dir, extra = [], { timeoutMs = 30_000 } = {}) {
	const args = ['serve', '-d', dir, '-a', '127.0.0.1', '-p', '0', ...extra];
	// Its own process group: whatever serve starts (its front) can be
	// killed with it if it outlives serve.
	const child = spawn(TZSIGNER, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
	running.add(child);
	let stderr = '';
	let stdout = '';
	const exited = new Promise((resolve) => {
		child.on('exit', (code, signal) => {
			running.delete(child);
			resolve({ code, signal });
		});
	});
	// 'close' fires after the exit and once the pipes are drained: when
	// every process that holds them (serve's front too) has gone. A front
	// that outlives serve is a bug, reported, and killed with its group.
	const closedPromise = new Promise((resolve) => child.on('close', resolve));
	const closed = (async () => {
		await exited;
		let t;
		const ok = await Promise.race([closedPromise.then(() => true), new Promise((r) => (t = setTimeout(() => r(false), 10_000)))]);
		clearTimeout(t);
		if (ok) return;
		try {
			process.kill(-child.pid, 'SIGKILL');
		} catch {}
		await closedPromise;
		throw new Error(`a process tzsigner serve started (its front?) kept its stderr open 10 s after serve exited\nstderr: ${stderr.slice(-4000)}`);
	})();
	closed.catch(() => {}); // awaited where it matters
	child.stdout.setEncoding('utf8');
	child.stderr.setEncoding('utf8');
	child.stdout.on('data', (d) => (stdout += d));

	return new Promise((resolve, reject) => {
		let done = false;
		const timer = setTimeout(() => {
			if (done) return;
			done = true;
			child.kill('SIGKILL');
			reject(new Error(`tzsigner serve did not log event=listening and its front event=front_started within ${timeoutMs} ms\nstderr: ${stderr}`));
		}, timeoutMs);
		child.on('error', (err) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			reject(err);
		});
		child.stderr.on('data', (d) => {
			stderr += d;
			if (done) return;
			// serving means the front is in its loop too (it starts after the
			// key holder binds and logs event=listening); with --front-fd the
			// test itself is the front
			if (!args.includes('--front-fd') && !/\bevent=front_started\b/.test(stderr)) return;
			for (const line of stderr.split('\n')) {
				if (!/\bevent=listening\b/.test(line)) continue;
				const m = /\bport=(\d+)\b/.exec(line);
				if (!m) continue;
				done = true;
				clearTimeout(timer);
				const port = Number(m[1]);
				const handle = {
					port,
					url: `http://127.0.0.1:${port}`,
					pid: child.pid,
					args,
					exited,
					stderr: () => stderr,
					stdout: () => stdout,
					kill: (sig) => child.kill(sig),
					// SIGTERM (or sig), wait for the exit, assert exit status 0 and a
					// clean sanitizer report.
					stop: async (sig = 'SIGTERM', waitMs = 15_000) => {
						if (child.exitCode === null && child.signalCode === null) child.kill(sig);
						let t;
						const res = await Promise.race([
							exited,
							new Promise((r) => (t = setTimeout(() => r(null), waitMs))),
						]);
						clearTimeout(t);
						if (res === null) {
							child.kill('SIGKILL');
							await exited;
							assert.fail(`tzsigner serve did not exit within ${waitMs} ms of ${sig}\nstderr: ${stderr.slice(-4000)}`);
						}
						await closed;
						assertNoSanitizerReport(stderr, 'tzsigner serve');
						assert.equal(res.signal, null, `tzsigner serve died of ${res.signal}\nstderr: ${stderr.slice(-4000)}`);
						assert.equal(res.code, 0, `tzsigner serve exited ${res.code} after ${sig}\nstderr: ${stderr.slice(-4000)}`);
						return res;
					},
				};
				resolve(handle);
				return;
			}
		});
		exited.then(async ({ code, signal }) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			await closed;
			const err = new Error(
				`tzsigner serve exited (code ${code}, signal ${signal}) before listening\nstderr: ${stderr}`,
			);
			err.code = code;
			err.signal = signal;
			err.stderr = stderr;
			reject(err);
		});
	});
}

// Runs `serve` expecting it to refuse to start: resolves {code, signal, stderr}.
export async function serveMustFail(dir, extra = [], { timeoutMs = 20_000 } = {}) {
	try {
		const h = await startSigner(dir, extra, { timeoutMs });
		await h.stop();
		assert.fail('tzsigner serve started although it should have refused');
	} catch (e) {
		if (e.code === undefined || e instanceof assert.AssertionError) throw e;
		assertNoSanitizerReport(e.stderr, 'tzsigner serve (refusing)');
		return { code: e.code, signal: e.signal, stderr: e.stderr };
	}
}

// ---------------------------------------------------------------------------
// HTTP

// One request with full control over the method and the raw body. Resolves
// {status, headers, text, json} (json undefined when the body is not JSON).
// Waits until the signer's stderr matches re (within ms) and asserts it. A
// line the key holder wrote before it answered can reach this process after
// the answer (two pipes, no order between them): read it, do not race it.
export async function assertStderrSoon(handle, re, ms = 5_000) {
	for (const end = Date.now() + ms; !re.test(handle.stderr()) && Date.now() < end; )
		await new Promise((r) => setTimeout(r, 20));
	assert.match(handle.stderr(), re);
}

export function request(port, method, urlPath, body, { agent, headers = {}, timeoutMs = 20_000 } = {}) {
	return new Promise((resolve, reject) => {
		const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
		const h = { ...headers };
		if (payload !== undefined) {
			h['Content-Type'] ??= 'application/json';
			h['Content-Length'] = payload.length;
		}
		const req = http.request(
			{ host: '127.0.0.1', port, method, path: urlPath, headers: h, agent: agent ?? false },
			(res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					let json;
					try {
						json = JSON.parse(text);
					} catch {
						json = undefined;
					}
					resolve({ status: res.statusCode, headers: res.headers, text, json, socket: req.reusedSocket });
				});
				res.on('error', reject);
			},
		);
		req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeoutMs} ms`)));
		req.on('error', reject);
		if (payload !== undefined) req.end(payload);
		else req.end();
	});
}

// POST /keys/<pkh> with a hex payload (Buffer or hex string); resolves the
// whole response.
export function postSign(port, pkh, bytes, { query = '', agent } = {}) {
	const hex = Buffer.isBuffer(bytes) ? bytes.toString('hex') : bytes;
	return request(port, 'POST', `/keys/${pkh}${query}`, JSON.stringify(hex), { agent });
}

// Signs and asserts a 200 with {"signature": …}; returns the signature.
export async function sign(port, pkh, bytes, opts) {
	const r = await postSign(port, pkh, bytes, opts);
	assert.equal(r.status, 200, `POST /keys/${pkh}: ${r.status} ${r.text}`);
	assert.equal(typeof r.json?.signature, 'string', `no signature in ${r.text}`);
	return r.json.signature;
}

export async function getPublicKey(port, pkh) {
	const r = await request(port, 'GET', `/keys/${pkh}`);
	assert.equal(r.status, 200, `GET /keys/${pkh}: ${r.status} ${r.text}`);
	assert.equal(typeof r.json?.public_key, 'string', `no public_key in ${r.text}`);
	return r.json.public_key;
}

// Asserts an octez error answer: the status and [{"kind":"temporary","id","msg"}],
// with msg matching msgRe when given. Returns the message.
export function assertOctezError(r, status, msgRe, what = '') {
	const statuses = Array.isArray(status) ? status : [status];
	assert.ok(statuses.includes(r.status), `${what}: expected status ${statuses.join('/')}, got ${r.status} ${r.text}`);
	assert.ok(Array.isArray(r.json), `${what}: error body is not a JSON array: ${r.text}`);
	assert.ok(r.json.length >= 1, `${what}: empty error array`);
	const e = r.json[0];
	assert.equal(e.kind, 'temporary', `${what}: error kind: ${r.text}`);
	assert.equal(typeof e.id, 'string', `${what}: error id: ${r.text}`);
	assert.ok(e.id.length > 0, `${what}: empty error id`);
	assert.equal(typeof e.msg, 'string', `${what}: error msg: ${r.text}`);
	if (msgRe) assert.match(e.msg, msgRe, `${what}: error message does not name the problem: ${r.text}`);
	return e.msg;
}

// ---------------------------------------------------------------------------
// payloads (design §2.2; octez operation_repr.ml / block_header_repr.ml)

export function randomChainId() {
	return randomBytes(4);
}

export function randInt(lo, hi) {
	// inclusive bounds, hi - lo < 2^32
	return lo + (randomBytes(4).readUInt32BE(0) % (hi - lo + 1));
}

function u16(n) {
	const b = Buffer.alloc(2);
	b.writeUInt16BE(n);
	return b;
}
function i32(n) {
	const b = Buffer.alloc(4);
	b.writeInt32BE(n);
	return b;
}
function lenPrefixed(buf) {
	return Buffer.concat([i32(buf.length), buf]);
}

// Zarith natural (Data_encoding.n): 7 bits a byte, little-endian groups,
// high bit set on every byte but the last.
export function zarith(n) {
	let v = BigInt(n);
	assert.ok(v >= 0n);
	const out = [];
	do {
		let byte = Number(v & 0x7fn);
		v >>= 7n;
		if (v > 0n) byte |= 0x80;
		out.push(byte);
	} while (v > 0n);
	return Buffer.from(out);
}

// Zarith integer (Data_encoding.z) of a non-negative n: the first byte holds
// 6 bits and the sign bit (0x40, clear here), the next ones 7 bits each;
// the high bit is set on every byte but the last. The DAL bitset is one
// (octez src/lib_base/bitset.ml: encoding = Data_encoding.z): octez's
// regression sample encodes dal_attestation 2048 as 80 20
// (tezt/tests/encoding_samples/u025/operation.unsigned/
// operation.unsigned-attestation-with-dal.sample.json and its .out).
export function zarithZ(n) {
	let v = BigInt(n);
	assert.ok(v >= 0n);
	const out = [];
	let byte = Number(v & 0x3fn);
	v >>= 6n;
	for (;;) {
		if (v > 0n) byte |= 0x80;
		out.push(byte);
		if (v === 0n) break;
		byte = Number(v & 0x7fn);
		v >>= 7n;
	}
	return Buffer.from(out);
}

export const TAG = {
	preattestation: 20,
	attestation: 21,
	attestationWithDal: 23,
	preattestationBls: 40,
	attestationBls: 41,
};

// A preattestation (magic 0x12) or attestation (0x13):
//   magic(1) chain_id(4) branch(32) tag(1) [slot u16] level i32 round i32
//   block_payload_hash(32) [dal_attestation: Zarith z, tag 23 only]
// Tags 20/21/23: slot 38–39, level 40–43, round 44–47 (80 bytes + DAL).
// Tags 40/41 ("bls mode", tz4): level 38–41, round 42–45 (78 bytes).
export function consensusOp({
	magic = 0x13,
	tag,
	chainId = randomChainId(),
	level = randInt(1, 2 ** 30),
	round = randInt(0, 20),
	slot = randInt(0, 7000),
	dal = randomBytes(8).readBigUInt64BE(0) >> BigInt(randInt(0, 63)),
	branch = randomBytes(32),
	payloadHash = randomBytes(32),
} = {}) {
	if (tag === undefined) tag = magic === 0x12 ? TAG.preattestation : TAG.attestation;
	const parts = [Buffer.from([magic]), chainId, branch, Buffer.from([tag])];
	if (tag !== 40 && tag !== 41) parts.push(u16(slot));
	parts.push(i32(level), i32(round), payloadHash);
	if (tag === 23) parts.push(zarithZ(dal));
	return Buffer.concat(parts);
}

// A Tenderbake block header to sign (magic 0x11):
//   magic(1) chain_id(4)
//   shell: level i32 (5–8) proto u8 (9) predecessor(32) timestamp i64
//          validation_passes u8 operations_hash(32) (to 82)
//          fitness: u32 length L (83–86), then L bytes, each element
//          length-prefixed: version 0x02 | level | locked_round (empty or i32)
//          | -1 - predecessor_round | round  → L = 33, or 37 with a locked round;
//          the round is the fitness's last 4 bytes, at 83+L
//          context(32)
//   protocol data: payload_hash(32) payload_round i32 proof_of_work_nonce(8)
//          seed_nonce_hash option (0x00 absent / 0xff + 32) per_block_votes u8
export function blockHeader({
	chainId = randomChainId(),
	level = randInt(1, 2 ** 30),
	round = randInt(0, 20),
	lockedRound = randInt(0, 1) ? null : randInt(0, 20),
	predecessorRound = randInt(0, 5),
	payloadRound = randInt(0, 20),
	seedNonce = randInt(0, 1) === 1,
} = {}) {
	const fitness = Buffer.concat([
		lenPrefixed(Buffer.from([0x02])),
		lenPrefixed(i32(level)),
		lenPrefixed(lockedRound === null ? Buffer.alloc(0) : i32(lockedRound)),
		lenPrefixed(i32(-1 - predecessorRound)),
		lenPrefixed(i32(round)),
	]);
	const ts = Buffer.alloc(8);
	ts.writeBigInt64BE(BigInt(1_700_000_000 + randInt(0, 100_000_000)));
	return Buffer.concat([
		Buffer.from([0x11]),
		chainId,
		i32(level),
		Buffer.from([randInt(0, 255)]), // proto level
		randomBytes(32), // predecessor
		ts,
		Buffer.from([4]), // validation passes
		randomBytes(32), // operations hash
		i32(fitness.length),
		fitness,
		randomBytes(32), // context
		randomBytes(32), // payload hash
		i32(payloadRound),
		randomBytes(8), // proof of work nonce
		seedNonce ? Buffer.concat([Buffer.from([0xff]), randomBytes(32)]) : Buffer.from([0x00]),
		Buffer.from([randInt(0, 2)]), // per-block votes
	]);
}

// Reads back the (level, round) the signer will see, by the offsets of
// design §2.2; used to check the builders themselves.
export function parseLevelRound(buf) {
	if (buf[0] === 0x11) {
		const L = buf.readUInt32BE(83);
		return { level: buf.readInt32BE(5), round: buf.readInt32BE(83 + L), L };
	}
	const tag = buf[37];
	if (tag === 40 || tag === 41) return { level: buf.readInt32BE(38), round: buf.readInt32BE(42), tag };
	return { slot: buf.readUInt16BE(38), level: buf.readInt32BE(40), round: buf.readInt32BE(44), tag };
}

// A generic manager operation (0x03 ‖ branch ‖ contents): not parsed by the
// signer, only its magic byte matters.
export function genericOp() {
	return Buffer.concat([Buffer.from([0x03]), randomBytes(32), Buffer.from([0x6c]), randomBytes(60)]);
}

// ---------------------------------------------------------------------------
// keys

export const SCHEMES = {
	tz1: { curve: 'ed25519', sk: PrefixV2.Ed25519Seed, esk: PrefixV2.Ed25519EncryptedSeed, pk: 'edpk', sig: 'edsig' },
	tz2: { curve: 'secp256k1', sk: PrefixV2.Secp256k1SecretKey, esk: PrefixV2.Secp256k1EncryptedSecretKey, pk: 'sppk', sig: 'spsig1' },
	tz3: { curve: 'p256', sk: PrefixV2.P256SecretKey, esk: PrefixV2.P256EncryptedSecretKey, pk: 'p2pk', sig: 'p2sig' },
	tz4: { curve: 'bls', sk: PrefixV2.BLS12_381SecretKey, esk: PrefixV2.BLS12_381EncryptedSecretKey, pk: 'BLpk', sig: 'BLsig' },
};

// octez's encrypted key format, built here with Node's PBKDF2 and tweetnacl
// (independent of tzsigner and of Taquito's @stablelib code):
//   salt(8) ‖ secretbox(secret, nonce = 24 zero bytes,
//                       key = PBKDF2-HMAC-SHA512(passphrase, salt, 32768, 32))
// base58check-encoded with the encrypted prefix of the key type.
export function encryptSecret(secretB58, passphrase) {
	const [raw, pre] = b58DecodeAndCheckPrefix(secretB58, [
		PrefixV2.Ed25519Seed,
		PrefixV2.Ed25519SecretKey,
		PrefixV2.Secp256k1SecretKey,
		PrefixV2.P256SecretKey,
		PrefixV2.BLS12_381SecretKey,
	]);
	const encPrefix = {
		[PrefixV2.Ed25519Seed]: PrefixV2.Ed25519EncryptedSeed,
		[PrefixV2.Ed25519SecretKey]: PrefixV2.Ed25519EncryptedSeed,
		[PrefixV2.Secp256k1SecretKey]: PrefixV2.Secp256k1EncryptedSecretKey,
		[PrefixV2.P256SecretKey]: PrefixV2.P256EncryptedSecretKey,
		[PrefixV2.BLS12_381SecretKey]: PrefixV2.BLS12_381EncryptedSecretKey,
	}[pre];
	const secret = raw.slice(0, 32); // an ed25519 64-byte key is seed ‖ pk: keep the seed
	const salt = randomBytes(8);
	const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, 32768, 32, 'sha512');
	const box = nacl.secretbox(new Uint8Array(secret), new Uint8Array(24), new Uint8Array(key));
	assert.equal(box.length, 48);
	return b58Encode(Buffer.concat([salt, Buffer.from(box)]), encPrefix);
}

// BLS12-381 group order.
export const BLS_R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

// A random BLS secret key, BLsk… (32-byte little-endian scalar, as octez
// and Taquito store it).
export function randomBlsSecretKey() {
	let s = 0n;
	while (s === 0n) s = BigInt('0x' + randomBytes(64).toString('hex')) % BLS_R;
	const le = Buffer.alloc(32);
	for (let i = 0; i < 32; i++) {
		le[i] = Number(s & 0xffn);
		s >>= 8n;
	}
	return b58Encode(le, PrefixV2.BLS12_381SecretKey);
}

export function publicKeyBytes(pkB58) {
	const [raw] = b58DecodeAndCheckPrefix(pkB58, [
		PrefixV2.Ed25519PublicKey,
		PrefixV2.Secp256k1PublicKey,
		PrefixV2.P256PublicKey,
		PrefixV2.BLS12_381PublicKey,
	]);
	return Buffer.from(raw);
}

export function signatureBytes(sigB58) {
	const [raw] = b58DecodeAndCheckPrefix(sigB58, [
		PrefixV2.Ed25519Signature,
		PrefixV2.Secp256k1Signature,
		PrefixV2.P256Signature,
		PrefixV2.BLS12_381Signature,
		PrefixV2.GenericSignature,
	]);
	return Buffer.from(raw);
}

// The pkh a test knows not to be in any base dir.
export function randomPkh(type = 'tz1') {
	const pre = {
		tz1: PrefixV2.Ed25519PublicKeyHash,
		tz2: PrefixV2.Secp256k1PublicKeyHash,
		tz3: PrefixV2.P256PublicKeyHash,
		tz4: PrefixV2.BLS12_381PublicKeyHash,
	}[type];
	return b58Encode(randomBytes(20), pre);
}
