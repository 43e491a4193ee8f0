#!/bin/sh
# tzsigner-forwarder: `tzsigner forwarder` from the cloud package's own copy.
exec /usr/lib/tzsigner-forwarder/tzsigner forwarder "$@"
