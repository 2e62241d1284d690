// Package pickle finds the imports a Python pickle would perform, without
// executing anything, and rates each one innocuous, suspicious or dangerous.
//
// A pickle can only run code by importing a callable (opcodes GLOBAL, INST,
// STACK_GLOBAL, and the rarely used EXT1/2/4 extension registry) and then
// calling it (REDUCE, BUILD, OBJ, NEWOBJ...). Listing the imports is therefore
// enough to judge a pickle, the approach of picklescan, which the Hugging Face
// Hub uses. Scan walks the opcode stream with bounded memory whatever its
// size: long string and bytes payloads are skipped, not buffered, and the memo
// is tracked symbolically with size caps.
//
// Rate decides the safety of one import from two lists, exposed as data by
// AllowRules and DenyRules. The deny list is a superset of picklescan's;
// anything on neither list is suspicious.
package pickle
