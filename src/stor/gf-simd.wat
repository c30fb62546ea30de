;; GF(2^8) matrix multiply with WebAssembly SIMD, split-nibble method.
;; Hand-written; assembled by scripts/gen-wasm.ts (npm package `wabt`) into gf-simd.wasm.ts.
;;
;; Memory layout (set up by kernel-wasm.ts):
;;   [0, 8192)        nibble tables: for coefficient c, 16 bytes c*x (x < 16), then 16 bytes c*(x<<4)
;;   [coef, ...)      coefficient rows, `cols` bytes each
;;   [in_ptrs, ...)   `cols` i32 addresses, one per input shard (anywhere in this memory)
;;   shards           inputs and outputs, wherever the pointers say
;; Every function computes bytes [from, to) of each shard; `to - from` is a multiple of 64, so
;; callers keep 64 bytes of room past the last byte they need or handle the tail themselves.
;; c*b = low_table[b & 15] xor high_table[b >> 4]; i8x16.swizzle does 16 such lookups at once.
;; Exports: mul_row (one row, 64 bytes per step), mul_rows2 (two rows sharing each input load
;; and nibble split, 32 bytes per step), xor_row (a row of all-one coefficients), xor_mul_row
;; (an all-ones row and one other row in the same pass).
(module
  (memory (export "memory") 1)
  ;; out = row `coef` (cols bytes) times the inputs, 64 bytes per step.
  (func (export "mul_row")
    (param $coef i32) (param $cols i32) (param $in_ptrs i32) (param $out i32)
    (param $from i32) (param $to i32)
    (local $off i32) (local $col i32) (local $table i32) (local $src i32)
    (local $lo v128) (local $hi v128) (local $x v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $off (local.get $from))
    (block $offs_done
      (loop $off_loop
        (br_if $offs_done (i32.ge_u (local.get $off) (local.get $to)))
        (local.set $a0 (v128.const i64x2 0 0))
        (local.set $a1 (v128.const i64x2 0 0))
        (local.set $a2 (v128.const i64x2 0 0))
        (local.set $a3 (v128.const i64x2 0 0))
        (local.set $col (i32.const 0))
        (block $cols_done
          (loop $col_loop
            (br_if $cols_done (i32.ge_u (local.get $col) (local.get $cols)))
            (local.set $table
              (i32.shl (i32.load8_u (i32.add (local.get $coef) (local.get $col))) (i32.const 5)))
            (local.set $lo (v128.load (local.get $table)))
            (local.set $hi (v128.load offset=16 (local.get $table)))
            (local.set $src (i32.add (local.get $off)
              (i32.load (i32.add (local.get $in_ptrs) (i32.shl (local.get $col) (i32.const 2))))))
            ;; four 16-byte vectors of this input, each: acc ^= lo[x & 15] ^ hi[x >> 4]
            (local.set $x (v128.load (local.get $src)))
            (local.set $a0 (v128.xor (local.get $a0) (v128.xor
              (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $x) (i32.const 4))))))
            (local.set $x (v128.load offset=16 (local.get $src)))
            (local.set $a1 (v128.xor (local.get $a1) (v128.xor
              (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $x) (i32.const 4))))))
            (local.set $x (v128.load offset=32 (local.get $src)))
            (local.set $a2 (v128.xor (local.get $a2) (v128.xor
              (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $x) (i32.const 4))))))
            (local.set $x (v128.load offset=48 (local.get $src)))
            (local.set $a3 (v128.xor (local.get $a3) (v128.xor
              (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $x) (i32.const 4))))))
            (local.set $col (i32.add (local.get $col) (i32.const 1)))
            (br $col_loop)))
        (v128.store (i32.add (local.get $out) (local.get $off)) (local.get $a0))
        (v128.store offset=16 (i32.add (local.get $out) (local.get $off)) (local.get $a1))
        (v128.store offset=32 (i32.add (local.get $out) (local.get $off)) (local.get $a2))
        (v128.store offset=48 (i32.add (local.get $out) (local.get $off)) (local.get $a3))
        (local.set $off (i32.add (local.get $off) (i32.const 64)))
        (br $off_loop))))

  ;; out = xor of all `cols` inputs: a row whose coefficients are all 1 (first parity row).
  (func (export "xor_row")
    (param $cols i32) (param $in_ptrs i32) (param $out i32) (param $from i32) (param $to i32)
    (local $off i32) (local $col i32) (local $src i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $off (local.get $from))
    (block $offs_done
      (loop $off_loop
        (br_if $offs_done (i32.ge_u (local.get $off) (local.get $to)))
        (local.set $src (i32.add (local.get $off) (i32.load (local.get $in_ptrs))))
        (local.set $a0 (v128.load (local.get $src)))
        (local.set $a1 (v128.load offset=16 (local.get $src)))
        (local.set $a2 (v128.load offset=32 (local.get $src)))
        (local.set $a3 (v128.load offset=48 (local.get $src)))
        (local.set $col (i32.const 1))
        (block $cols_done
          (loop $col_loop
            (br_if $cols_done (i32.ge_u (local.get $col) (local.get $cols)))
            (local.set $src (i32.add (local.get $off)
              (i32.load (i32.add (local.get $in_ptrs) (i32.shl (local.get $col) (i32.const 2))))))
            (local.set $a0 (v128.xor (local.get $a0) (v128.load (local.get $src))))
            (local.set $a1 (v128.xor (local.get $a1) (v128.load offset=16 (local.get $src))))
            (local.set $a2 (v128.xor (local.get $a2) (v128.load offset=32 (local.get $src))))
            (local.set $a3 (v128.xor (local.get $a3) (v128.load offset=48 (local.get $src))))
            (local.set $col (i32.add (local.get $col) (i32.const 1)))
            (br $col_loop)))
        (v128.store (i32.add (local.get $out) (local.get $off)) (local.get $a0))
        (v128.store offset=16 (i32.add (local.get $out) (local.get $off)) (local.get $a1))
        (v128.store offset=32 (i32.add (local.get $out) (local.get $off)) (local.get $a2))
        (v128.store offset=48 (i32.add (local.get $out) (local.get $off)) (local.get $a3))
        (local.set $off (i32.add (local.get $off) (i32.const 64)))
        (br $off_loop))))

  ;; Fused: out_x = xor of all inputs (an all-ones row) and out = row `coef` times the inputs,
  ;; in one pass over the inputs, 64 bytes per step.
  (func (export "xor_mul_row")
    (param $coef i32) (param $cols i32) (param $in_ptrs i32) (param $out_x i32) (param $out i32)
    (param $from i32) (param $to i32)
    (local $off i32) (local $col i32) (local $table i32) (local $src i32)
    (local $lo v128) (local $hi v128) (local $x v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local.set $off (local.get $from))
    (block $offs_done
      (loop $off_loop
        (br_if $offs_done (i32.ge_u (local.get $off) (local.get $to)))
        (local.set $a0 (v128.const i64x2 0 0))
        (local.set $a1 (v128.const i64x2 0 0))
        (local.set $a2 (v128.const i64x2 0 0))
        (local.set $a3 (v128.const i64x2 0 0))
        (local.set $x0 (v128.const i64x2 0 0))
        (local.set $x1 (v128.const i64x2 0 0))
        (local.set $x2 (v128.const i64x2 0 0))
        (local.set $x3 (v128.const i64x2 0 0))
        (local.set $col (i32.const 0))
        (block $cols_done
          (loop $col_loop
            (br_if $cols_done (i32.ge_u (local.get $col) (local.get $cols)))
            (local.set $table
              (i32.shl (i32.load8_u (i32.add (local.get $coef) (local.get $col))) (i32.const 5)))
            (local.set $lo (v128.load (local.get $table)))
            (local.set $hi (v128.load offset=16 (local.get $table)))
            (local.set $src (i32.add (local.get $off)
              (i32.load (i32.add (local.get $in_ptrs) (i32.shl (local.get $col) (i32.const 2))))))
            (local.set $x (v128.load (local.get $src)))
            (local.set $x0 (v128.xor (local.get $x0) (local.get $x)))
            (local.set $a0 (v128.xor (local.get $a0) (v128.xor
              (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $x) (i32.const 4))))))
            (local.set $x (v128.load offset=16 (local.get $src)))
            (local.set $x1 (v128.xor (local.get $x1) (local.get $x)))
            (local.set $a1 (v128.xor (local.get $a1) (v128.xor
              (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $x) (i32.const 4))))))
            (local.set $x (v128.load offset=32 (local.get $src)))
            (local.set $x2 (v128.xor (local.get $x2) (local.get $x)))
            (local.set $a2 (v128.xor (local.get $a2) (v128.xor
              (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $x) (i32.const 4))))))
            (local.set $x (v128.load offset=48 (local.get $src)))
            (local.set $x3 (v128.xor (local.get $x3) (local.get $x)))
            (local.set $a3 (v128.xor (local.get $a3) (v128.xor
              (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $x) (i32.const 4))))))
            (local.set $col (i32.add (local.get $col) (i32.const 1)))
            (br $col_loop)))
        (v128.store (i32.add (local.get $out_x) (local.get $off)) (local.get $x0))
        (v128.store offset=16 (i32.add (local.get $out_x) (local.get $off)) (local.get $x1))
        (v128.store offset=32 (i32.add (local.get $out_x) (local.get $off)) (local.get $x2))
        (v128.store offset=48 (i32.add (local.get $out_x) (local.get $off)) (local.get $x3))
        (v128.store (i32.add (local.get $out) (local.get $off)) (local.get $a0))
        (v128.store offset=16 (i32.add (local.get $out) (local.get $off)) (local.get $a1))
        (v128.store offset=32 (i32.add (local.get $out) (local.get $off)) (local.get $a2))
        (v128.store offset=48 (i32.add (local.get $out) (local.get $off)) (local.get $a3))
        (local.set $off (i32.add (local.get $off) (i32.const 64)))
        (br $off_loop))))

  ;; Two output rows at once: coefficient rows at $coef0 and $coef1 (cols bytes each), outputs at
  ;; $out0 and $out1. Each input vector is loaded and split into nibbles once for both rows.
  (func (export "mul_rows2")
    (param $coef0 i32) (param $coef1 i32) (param $cols i32) (param $in_ptrs i32)
    (param $out0 i32) (param $out1 i32) (param $from i32) (param $to i32)
    (local $off i32) (local $col i32) (local $src i32) (local $t0 i32) (local $t1 i32)
    (local $lo0 v128) (local $hi0 v128) (local $lo1 v128) (local $hi1 v128)
    (local $xl v128) (local $xh v128) (local $yl v128) (local $yh v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local.set $off (local.get $from))
    (block $offs_done
      (loop $off_loop
        (br_if $offs_done (i32.ge_u (local.get $off) (local.get $to)))
        (local.set $a0 (v128.const i64x2 0 0))
        (local.set $a1 (v128.const i64x2 0 0))
        (local.set $b0 (v128.const i64x2 0 0))
        (local.set $b1 (v128.const i64x2 0 0))
        (local.set $col (i32.const 0))
        (block $cols_done
          (loop $col_loop
            (br_if $cols_done (i32.ge_u (local.get $col) (local.get $cols)))
            (local.set $t0 (i32.shl (i32.load8_u (i32.add (local.get $coef0) (local.get $col))) (i32.const 5)))
            (local.set $t1 (i32.shl (i32.load8_u (i32.add (local.get $coef1) (local.get $col))) (i32.const 5)))
            (local.set $lo0 (v128.load (local.get $t0)))
            (local.set $hi0 (v128.load offset=16 (local.get $t0)))
            (local.set $lo1 (v128.load (local.get $t1)))
            (local.set $hi1 (v128.load offset=16 (local.get $t1)))
            (local.set $src (i32.add (local.get $off)
              (i32.load (i32.add (local.get $in_ptrs) (i32.shl (local.get $col) (i32.const 2))))))
            ;; bytes 0..15 and 16..31 of this input, split into low and high nibbles
            (local.set $xl (v128.load (local.get $src)))
            (local.set $xh (i8x16.shr_u (local.get $xl) (i32.const 4)))
            (local.set $xl (v128.and (local.get $xl) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
            (local.set $yl (v128.load offset=16 (local.get $src)))
            (local.set $yh (i8x16.shr_u (local.get $yl) (i32.const 4)))
            (local.set $yl (v128.and (local.get $yl) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
            (local.set $a0 (v128.xor (local.get $a0) (v128.xor
              (i8x16.swizzle (local.get $lo0) (local.get $xl)) (i8x16.swizzle (local.get $hi0) (local.get $xh)))))
            (local.set $a1 (v128.xor (local.get $a1) (v128.xor
              (i8x16.swizzle (local.get $lo0) (local.get $yl)) (i8x16.swizzle (local.get $hi0) (local.get $yh)))))
            (local.set $b0 (v128.xor (local.get $b0) (v128.xor
              (i8x16.swizzle (local.get $lo1) (local.get $xl)) (i8x16.swizzle (local.get $hi1) (local.get $xh)))))
            (local.set $b1 (v128.xor (local.get $b1) (v128.xor
              (i8x16.swizzle (local.get $lo1) (local.get $yl)) (i8x16.swizzle (local.get $hi1) (local.get $yh)))))
            (local.set $col (i32.add (local.get $col) (i32.const 1)))
            (br $col_loop)))
        (v128.store (i32.add (local.get $out0) (local.get $off)) (local.get $a0))
        (v128.store offset=16 (i32.add (local.get $out0) (local.get $off)) (local.get $a1))
        (v128.store (i32.add (local.get $out1) (local.get $off)) (local.get $b0))
        (v128.store offset=16 (i32.add (local.get $out1) (local.get $off)) (local.get $b1))
        (local.set $off (i32.add (local.get $off) (i32.const 32)))
        (br $off_loop))))
)
