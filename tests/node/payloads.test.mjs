// The payload builders of lib/signer.mjs have the layouts of design §2.2
// (octez operation_repr.ml and block_header_repr.ml): checked here so the
// signer tests feed real shapes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consensusOp, blockHeader, parseLevelRound, zarith, zarithZ, randInt } from './lib/signer.mjs';

test('payload builders have the layouts of design §2.2', () => {
	for (let i = 0; i < 50; i++) {
		const level = randInt(1, 2 ** 30);
		const round = randInt(0, 1000);
		const slot = randInt(0, 65535);
		for (const tag of [20, 21]) {
			const op = consensusOp({ magic: tag === 20 ? 0x12 : 0x13, tag, level, round, slot });
			assert.equal(op.length, 80);
			assert.equal(op[37], tag);
			assert.deepEqual(parseLevelRound(op), { slot, level, round, tag });
		}
		const dal = BigInt(randInt(0, 2 ** 31)) * 3n;
		const d = consensusOp({ magic: 0x13, tag: 23, level, round, slot, dal });
		assert.equal(d.length, 80 + zarithZ(dal).length);
		assert.deepEqual(parseLevelRound(d), { slot, level, round, tag: 23 });
		for (const tag of [40, 41]) {
			const op = consensusOp({ magic: tag === 40 ? 0x12 : 0x13, tag, level, round });
			assert.equal(op.length, 78);
			assert.deepEqual(parseLevelRound(op), { level, round, tag });
		}
		const locked = randInt(0, 1) ? null : randInt(0, 50);
		const b = blockHeader({ level, round, lockedRound: locked });
		const p = parseLevelRound(b);
		assert.equal(p.L, locked === null ? 33 : 37);
		assert.equal(p.level, level);
		assert.equal(p.round, round);
		assert.ok(b.length >= 87 + p.L + 32 + 32 + 4 + 8 + 1 + 1);
	}
	assert.deepEqual(zarith(0), Buffer.from([0]));
	assert.deepEqual(zarith(127), Buffer.from([0x7f]));
	assert.deepEqual(zarith(128), Buffer.from([0x80, 0x01]));
	assert.deepEqual(zarith(300), Buffer.from([0xac, 0x02]));
	// Data_encoding.z, the DAL bitset's encoding; 2048 is octez's own sample.
	assert.deepEqual(zarithZ(0), Buffer.from([0]));
	assert.deepEqual(zarithZ(63), Buffer.from([0x3f]));
	assert.deepEqual(zarithZ(64), Buffer.from([0x80, 0x01]));
	assert.deepEqual(zarithZ(2048), Buffer.from([0x80, 0x20]));
	assert.deepEqual(zarithZ(10), Buffer.from([0x0a]));
});
