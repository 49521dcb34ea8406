#!/bin/sh
# The Node.js that runs VS Code's TypeScript server in a repl (the setting js/ts.tsserver.node.path
# names this file): code-server's own Node (CODEYARD_IDE_NODE), with the young-generation limit
# and the idle collection (idle-gc.cjs beside this file) that code-server's processes have. The
# TypeScript extension starts its server with Node flags of its own and no way to add others; its
# young generation otherwise grows to 64 MB and stays there.
# Arguments: the extension's Node flags, tsserver.js and its arguments.
here=$(dirname "$0")
exec "${CODEYARD_IDE_NODE:-node}" --max-semi-space-size=4 "--require=$here/idle-gc.cjs" "$@"
