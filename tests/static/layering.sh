#!/usr/bin/env bash
# layering.sh - includes point downwards only (docs/design.md §1).
#
# Each module of src/ may include its own headers and those of the modules
# listed for it below, nothing else. An include that points upwards or
# sideways fails the run with its file:line. `cmd` (the subcommands) and
# src/main.c sit on top and may include anything.
set -uo pipefail
cd "$(dirname "$0")/../.."

declare -A allowed=(
	[base]=""
	[crypto]="base"
	[tezos]="base crypto"
	[ledger]="base crypto tezos"
	[vault]="base crypto tezos ledger"
	[guard]="base crypto tezos ledger vault"
	[health]="base ledger vault"
	[server]="base crypto tezos ledger vault guard health front"
	[keyholder]="base crypto tezos ledger vault guard health server privsep front"
	[tunnel]="base"
	[forwarder]="base"
	[gateway]="base crypto tezos guard server front"
	[privsep]="base"
	[front]="base tezos privsep"
)

bad=0
for dir in src/*/; do
	mod=$(basename "$dir")
	[ "$mod" = cmd ] && continue
	if [ -z "${allowed[$mod]+set}" ]; then
		echo "layering: src/$mod is a module the layering table does not know: add it to tests/static/layering.sh and docs/design.md §1"
		bad=1
		continue
	fi
	while IFS= read -r hit; do
		file=${hit%%:*}
		rest=${hit#*:}
		line=${rest%%:*}
		target=$(printf '%s' "$rest" | sed -E 's/.*#include "\.\.\/([a-z_]+)\/.*/\1/')
		case " ${allowed[$mod]} " in
		*" $target "*) ;;
		*)
			echo "layering: $file:$line: src/$mod includes src/$target (allowed: ${allowed[$mod]:-nothing of ours})"
			bad=1
			;;
		esac
	done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"\.\./[a-z_]+/' "$dir"*.[ch] 2>/dev/null)
done
if [ "$bad" -eq 0 ]; then
	echo "layering: every include points downwards"
fi
exit "$bad"
