// memscan.mjs - looks for secret keys in other processes' memory (the
// memory check of issue 14; run by privsep_memory.sh, as root).
//
//   node memscan.mjs SECRET_KEYS_FILE [--present PID]... [--absent PID]...
//
// The secrets are decoded from an octez secret_keys file (unencrypted:
// edsk… and BLsk… base58check, decoded with Taquito as an independent
// decoder) to their 32 raw bytes. For each PID every readable mapping of
// /proc/PID/maps is read through /proc/PID/mem, plus /proc/PID/environ and
// /proc/PID/cmdline. --present: each key's raw bytes must be found in its
// memory (the key holder; this is what shows the scan can find them), in
// mlocked pages;
// --absent: neither the raw bytes nor their base58 or hex text may be
// found anywhere (the front). Prints one line per process and key; exits 1
// with FAIL: lines when an expectation fails.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'node', 'package.json'));
const { b58DecodeAndCheckPrefix, PrefixV2 } = require('@taquito/utils');

const CHUNK = 1 << 20;
// A sanitizer build reserves terabytes of shadow memory; reading that is
// not a scan of the process but of the runtime: the check wants a release build.
const MAPPING_MAX = 16 * 2 ** 30;

function secretsOf(file) {
	const entries = JSON.parse(readFileSync(file, 'utf8'));
	const allowed = [PrefixV2.Ed25519Seed, PrefixV2.Ed25519SecretKey, PrefixV2.BLS12_381SecretKey,
		PrefixV2.Secp256k1SecretKey, PrefixV2.P256SecretKey];
	return entries.map(({ name, value }) => {
		const text = value.replace(/^unencrypted:/, '');
		if (text === value && value.includes(':')) throw new Error(`key ${name}: not unencrypted (${value.split(':')[0]})`);
		const [payload] = b58DecodeAndCheckPrefix(text, allowed);
		const raw = Buffer.from(payload.subarray(0, 32)); // an edsk of 64 bytes is seed ‖ public key
		return { name, text, raw, needles: [raw, Buffer.from(text), Buffer.from(raw.toString('hex'))] };
	});
}

function mappings(pid) {
	return readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n').map((line) => {
		const [range, perms, , , , ...rest] = line.split(/\s+/);
		const [start, end] = range.split('-').map((h) => BigInt(`0x${h}`));
		return { start, end, perms, name: rest.join(' '), line };
	});
}

// Searches every readable mapping; returns {found: Map(needle -> address), bytes, unreadable}.
function scanMemory(pid, needles) {
	const found = new Map();
	const fd = openSync(`/proc/${pid}/mem`, 'r');
	const longest = Math.max(...needles.map((n) => n.length));
	const buf = Buffer.alloc(CHUNK + longest);
	let bytes = 0n;
	const unreadable = [];
	try {
		for (const m of mappings(pid)) {
			if (m.perms[0] !== 'r') continue;
			if (m.end - m.start > BigInt(MAPPING_MAX))
				throw new Error(`pid ${pid}: a mapping of ${(m.end - m.start) >> 30n} GiB (${m.line}): scan a release build`);
			let carry = 0;
			for (let at = m.start; at < m.end;) {
				const want = Number(m.end - at < BigInt(CHUNK) ? m.end - at : BigInt(CHUNK));
				let n;
				try {
					n = readSync(fd, buf, carry, want, at);
				} catch (e) {
					unreadable.push(`${m.line} (${e.code})`);
					break;
				}
				if (n <= 0) break;
				const view = buf.subarray(0, carry + n);
				for (const needle of needles) {
					if (found.has(needle)) continue;
					const i = view.indexOf(needle);
					if (i >= 0) found.set(needle, at - BigInt(carry) + BigInt(i));
				}
				bytes += BigInt(n);
				at += BigInt(n);
				// Keep the tail so a needle across two chunks is still seen.
				carry = Math.min(longest - 1, view.length);
				view.copy(buf, 0, view.length - carry);
			}
		}
	} finally {
		closeSync(fd);
	}
	return { found, bytes, unreadable };
}

// The Locked: size (kB) of the mapping holding address at, from /proc/PID/smaps.
function lockedKbAt(pid, at) {
	let inside = false;
	for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
		const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
		if (range) inside = BigInt(`0x${range[1]}`) <= at && at < BigInt(`0x${range[2]}`);
		const locked = /^Locked:\s+(\d+) kB/.exec(line);
		if (inside && locked) return Number(locked[1]);
	}
	return 0;
}

function scanFile(file, needles) {
	const data = readFileSync(file);
	return needles.filter((n) => data.indexOf(n) >= 0);
}

const args = process.argv.slice(2);
const keysFile = args.shift();
const checks = [];
while (args.length) {
	const flag = args.shift();
	const pid = Number(args.shift());
	if (!['--present', '--absent'].includes(flag) || !Number.isInteger(pid) || pid <= 0) {
		console.error('usage: node memscan.mjs SECRET_KEYS_FILE [--present PID]... [--absent PID]...');
		process.exit(2);
	}
	checks.push({ want: flag === '--present', pid });
}
const keys = secretsOf(keysFile);
let failed = false;
for (const { want, pid } of checks) {
	const needles = keys.flatMap((k) => (want ? [k.raw] : k.needles));
	const mem = scanMemory(pid, needles);
	// Kernel pages that /proc/PID/mem never gives out (vvar) are not the process's memory.
	const unreadable = mem.unreadable.filter((l) => !/\[vvar(_vclock)?\]/.test(l));
	console.log(`pid=${pid} scanned_bytes=${mem.bytes} unreadable_mappings=${mem.unreadable.length}`);
	if (unreadable.length) {
		failed = true;
		console.log(`FAIL: pid ${pid}: readable mappings that could not be read:\n  ${unreadable.join('\n  ')}`);
	}
	const env = scanFile(`/proc/${pid}/environ`, needles);
	const argv = scanFile(`/proc/${pid}/cmdline`, needles);
	for (const k of keys) {
		const where = [];
		for (const [i, form] of ['raw', 'base58', 'hex'].entries()) {
			const n = k.needles[i];
			if (mem.found.has(n)) where.push(`mem:${form}@0x${mem.found.get(n).toString(16)}`);
			if (env.includes(n)) where.push(`environ:${form}`);
			if (argv.includes(n)) where.push(`cmdline:${form}`);
		}
		console.log(`pid=${pid} key=${k.name} expect=${want ? 'present' : 'absent'} found=${where.join(',') || 'none'}`);
		if (want && !mem.found.has(k.raw)) {
			failed = true;
			console.log(`FAIL: pid ${pid}: key ${k.name}'s secret bytes are not in its memory: the scan cannot be trusted`);
		} else if (want && lockedKbAt(pid, mem.found.get(k.raw)) === 0) {
			// sodium_malloc mlocks the pages it hands out: they never reach swap.
			failed = true;
			console.log(`FAIL: pid ${pid}: key ${k.name}'s secret lies in memory that is not mlocked`);
		}
		if (!want && where.length) {
			failed = true;
			console.log(`FAIL: pid ${pid}: key ${k.name}'s secret found at ${where.join(', ')}`);
		}
	}
}
process.exit(failed ? 1 : 0);
