;; int4 round-to-nearest for a tile of a MatMul weight [K, N], four columns per SIMD lane group.
;; The numbers are those of math.ts `quantizeInt4Ref` bit for bit (wasm-kernel.test.ts):
;;   - block parameters are computed in float64 and rounded once to float32, as `blockParams`;
;;   - a code is round-half-to-even(w / scale) + zero point, clamped to [0, 15], where the reference
;;     divides in float64. Here the division is float32 (four lanes at once), which gives the same
;;     code unless the float32 quotient is exactly a half-integer: float32 rounding is monotone and
;;     every half-integer m + 0.5 below 2^23 is a float32, so a quotient rounded to float32 stays on
;;     the same side of m + 0.5 as the exact one, or lands on it. Those (rare) lane groups are
;;     redone in float64, so ties break exactly as in the reference.
;;
;; Memory is the caller's (wasm-kernel.ts sizes one per call; offsets in bytes). A tile is `rows`
;; x `cols` float32, row major, cols a multiple of 4, rows = blocks * bs (a short last block is
;; zero-filled past nLast real rows: a zero weight's code is the zero point, the reference's
;; padding). `tile` leaves scales and zero points as float32 [blocks, cols] and codes as bytes
;; [cols, blocks * bs]; `scatter` moves them to the Int4Blocks layout (each output row's codes
;; contiguous along K), which also lives in this memory, so the results are never copied to JS.
(module
  (import "env" "memory" (memory 1))

  ;; max|w| over the first n rows of each column, into out[cols]
  (func $absmax (param $src i32) (param $n i32) (param $cols i32) (param $out i32)
    (local $c i32) (local $p i32) (local $r i32) (local $m v128) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (block $done
      (loop $col
        (br_if $done (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $m (v128.const f32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $r (local.get $n))
        (loop $row
          ;; pmax(m, v) = m < v ? v : m, the reference's `if (v > m) m = v`
          (local.set $m (f32x4.pmax (local.get $m) (f32x4.abs (v128.load (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
          (br_if $row (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))) (local.get $m))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $col))))

  ;; min and max over the first n rows of each column, into lo[cols] and hi[cols]
  (func $minmax (param $src i32) (param $n i32) (param $cols i32) (param $lo i32) (param $hi i32)
    (local $c i32) (local $p i32) (local $r i32) (local $v v128) (local $l v128) (local $h v128) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (block $done
      (loop $col
        (br_if $done (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $l (v128.load (local.get $p)))
        (local.set $h (local.get $l))
        (local.set $r (i32.sub (local.get $n) (i32.const 1)))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.eqz (local.get $r)))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (local.set $v (v128.load (local.get $p)))
            (local.set $l (f32x4.pmin (local.get $l) (local.get $v))) ;; v < l ? v : l
            (local.set $h (f32x4.pmax (local.get $h) (local.get $v))) ;; h < v ? v : h
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br $row)))
        (v128.store (i32.add (local.get $lo) (i32.shl (local.get $c) (i32.const 2))) (local.get $l))
        (v128.store (i32.add (local.get $hi) (i32.shl (local.get $c) (i32.const 2))) (local.get $h))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $col))))

  ;; math.ts `blockParams` for float32 scales, one column at a time (1/bs of the work: scalar)
  (func $params (param $sym i32) (param $lo i32) (param $hi i32) (param $cols i32) (param $s i32) (param $z i32)
    (local $c i32) (local $at i32) (local $l f64) (local $h f64) (local $range f64) (local $scale f32) (local $zp f64)
    (block $done
      (loop $col
        (br_if $done (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $at (i32.shl (local.get $c) (i32.const 2)))
        (local.set $l (f64.promote_f32 (f32.load (i32.add (local.get $lo) (local.get $at)))))
        (if (local.get $sym)
          (then (local.set $range (f64.div (local.get $l) (f64.const 7))))
          (else
            (local.set $h (f64.promote_f32 (f32.load (i32.add (local.get $hi) (local.get $at)))))
            (if (f64.le (local.get $h) (f64.const 0)) (then (local.set $h (f64.const 0))))
            (if (f64.ge (local.get $l) (f64.const 0)) (then (local.set $l (f64.const 0))))
            (local.set $range (f64.div (f64.sub (local.get $h) (local.get $l)) (f64.const 15)))))
        ;; storedScale: 1 for an all-zero block; a scale that rounds to 0 becomes the least float32
        (local.set $scale
          (if (result f32) (f64.eq (local.get $range) (f64.const 0))
            (then (f32.const 1))
            (else (f32.demote_f64 (local.get $range)))))
        (if (f32.eq (local.get $scale) (f32.const 0)) (then (local.set $scale (f32.const 0x1p-149))))
        (f32.store (i32.add (local.get $s) (local.get $at)) (local.get $scale))
        (if (local.get $sym)
          (then (f32.store (i32.add (local.get $z) (local.get $at)) (f32.const 8)))
          (else
            (local.set $zp (f64.nearest (f64.div (f64.neg (local.get $l)) (f64.promote_f32 (local.get $scale)))))
            (if (f64.lt (local.get $zp) (f64.const 0)) (then (local.set $zp (f64.const 0))))
            (if (f64.gt (local.get $zp) (f64.const 15)) (then (local.set $zp (f64.const 15))))
            (f32.store (i32.add (local.get $z) (local.get $at)) (f32.demote_f64 (local.get $zp)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $col))))

  ;; round-half-to-even(v / s) of four lanes, dividing in float64 (the reference's arithmetic)
  (func $roundExact (param $v v128) (param $s v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero
        (f64x2.nearest (f64x2.div (f64x2.promote_low_f32x4 (local.get $v)) (f64x2.promote_low_f32x4 (local.get $s)))))
      (f32x4.demote_f64x2_zero
        (f64x2.nearest
          (f64x2.div
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $s) (local.get $s))))))))

  ;; The codes of four rows (at p, p + rowBytes, ...) of four columns, one 32-bit lane per column
  ;; holding code(row i) << (i * sh): sh = 8 gives four bytes, sh = 4 four nibbles. One tie test for
  ;; the sixteen quotients, and (rarely) the float64 redo of all of them.
  (func $code4 (param $p i32) (param $rowBytes i32) (param $sv v128) (param $zv v128) (param $sh i32) (result v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local.set $v0 (v128.load (local.get $p)))
    (local.set $v1 (v128.load (i32.add (local.get $p) (local.get $rowBytes))))
    (local.set $v2 (v128.load (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1)))))
    (local.set $v3 (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3)))))
    (local.set $q0 (f32x4.div (local.get $v0) (local.get $sv)))
    (local.set $q1 (f32x4.div (local.get $v1) (local.get $sv)))
    (local.set $q2 (f32x4.div (local.get $v2) (local.get $sv)))
    (local.set $q3 (f32x4.div (local.get $v3) (local.get $sv)))
    (if (v128.any_true
          (v128.or
            (v128.or
              (f32x4.eq (f32x4.sub (local.get $q0) (f32x4.floor (local.get $q0))) (v128.const f32x4 0.5 0.5 0.5 0.5))
              (f32x4.eq (f32x4.sub (local.get $q1) (f32x4.floor (local.get $q1))) (v128.const f32x4 0.5 0.5 0.5 0.5)))
            (v128.or
              (f32x4.eq (f32x4.sub (local.get $q2) (f32x4.floor (local.get $q2))) (v128.const f32x4 0.5 0.5 0.5 0.5))
              (f32x4.eq (f32x4.sub (local.get $q3) (f32x4.floor (local.get $q3))) (v128.const f32x4 0.5 0.5 0.5 0.5)))))
      (then
        (local.set $q0 (call $roundExact (local.get $v0) (local.get $sv)))
        (local.set $q1 (call $roundExact (local.get $v1) (local.get $sv)))
        (local.set $q2 (call $roundExact (local.get $v2) (local.get $sv)))
        (local.set $q3 (call $roundExact (local.get $v3) (local.get $sv))))
      (else
        (local.set $q0 (f32x4.nearest (local.get $q0)))
        (local.set $q1 (f32x4.nearest (local.get $q1)))
        (local.set $q2 (f32x4.nearest (local.get $q2)))
        (local.set $q3 (f32x4.nearest (local.get $q3)))))
    ;; code = clamp(q + z, 0, 15): pmax(0, x) = 0 < x ? x : 0 and pmin(15, x) = x < 15 ? x : 15,
    ;; the reference's `q < 0 ? 0 : q > 15 ? 15 : q`
    (v128.or
      (v128.or
        (i32x4.trunc_sat_f32x4_s (f32x4.pmin (v128.const f32x4 15 15 15 15) (f32x4.pmax (v128.const f32x4 0 0 0 0) (f32x4.add (local.get $q0) (local.get $zv)))))
        (i32x4.shl (i32x4.trunc_sat_f32x4_s (f32x4.pmin (v128.const f32x4 15 15 15 15) (f32x4.pmax (v128.const f32x4 0 0 0 0) (f32x4.add (local.get $q1) (local.get $zv))))) (local.get $sh)))
      (v128.or
        (i32x4.shl (i32x4.trunc_sat_f32x4_s (f32x4.pmin (v128.const f32x4 15 15 15 15) (f32x4.pmax (v128.const f32x4 0 0 0 0) (f32x4.add (local.get $q2) (local.get $zv))))) (i32.shl (local.get $sh) (i32.const 1)))
        (i32x4.shl (i32x4.trunc_sat_f32x4_s (f32x4.pmin (v128.const f32x4 15 15 15 15) (f32x4.pmax (v128.const f32x4 0 0 0 0) (f32x4.add (local.get $q3) (local.get $zv))))) (i32.mul (local.get $sh) (i32.const 3))))))

  ;; The codes of bs rows of each column into out[c * spanBytes + (col0 + t) * bytes per code],
  ;; little-endian words: nib = 0, a byte per code, four rows per word (bs a multiple of 4);
  ;; nib = 1, MatMulNBits' nibbles (the even row in the low nibble), eight rows per word (bs a
  ;; multiple of 8).
  (func $codes (param $src i32) (param $bs i32) (param $cols i32) (param $s i32) (param $z i32) (param $out i32) (param $span i32) (param $col0 i32) (param $nib i32)
    (local $c i32) (local $p i32) (local $t i32) (local $dst i32) (local $rowBytes i32) (local $spanBytes i32)
    (local $sv v128) (local $zv v128) (local $word v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $spanBytes (i32.shr_u (local.get $span) (local.get $nib)))
    (block $done
      (loop $col
        (br_if $done (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $sv (v128.load (i32.add (local.get $s) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $zv (v128.load (i32.add (local.get $z) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $dst (i32.add (i32.add (local.get $out) (i32.mul (local.get $c) (local.get $spanBytes))) (i32.shr_u (local.get $col0) (local.get $nib))))
        (local.set $t (i32.const 0))
        (loop $rows
          (if (local.get $nib)
            (then
              (local.set $word
                (v128.or
                  (call $code4 (local.get $p) (local.get $rowBytes) (local.get $sv) (local.get $zv) (i32.const 4))
                  (i32x4.shl (call $code4 (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 2))) (local.get $rowBytes) (local.get $sv) (local.get $zv) (i32.const 4)) (i32.const 16))))
              (local.set $p (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 3)))))
            (else
              (local.set $word (call $code4 (local.get $p) (local.get $rowBytes) (local.get $sv) (local.get $zv) (i32.const 8)))
              (local.set $p (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 2))))))
          (i32.store (local.get $dst) (i32x4.extract_lane 0 (local.get $word)))
          (i32.store (i32.add (local.get $dst) (local.get $spanBytes)) (i32x4.extract_lane 1 (local.get $word)))
          (i32.store (i32.add (local.get $dst) (i32.shl (local.get $spanBytes) (i32.const 1))) (i32x4.extract_lane 2 (local.get $word)))
          (i32.store (i32.add (local.get $dst) (i32.mul (local.get $spanBytes) (i32.const 3))) (i32x4.extract_lane 3 (local.get $word)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
          (br_if $rows (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.shl (i32.const 4) (local.get $nib)))) (local.get $bs))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $col))))

  ;; The tile's results to their places in the output: each of the first `width` columns' span
  ;; codes to codesOut + j * padded (both counted in codes; nib as in $codes), its scales and zero points (float32 [blocks, cols] here) to
  ;; sOut[j * kBlocks + b] (float32) and zOut[j * kBlocks + b] (uint8).
  (func (export "scatter")
    (param $width i32) (param $cols i32) (param $blocks i32) (param $span i32)
    (param $codes i32) (param $s i32) (param $z i32)
    (param $codesOut i32) (param $padded i32) (param $sOut i32) (param $zOut i32) (param $kBlocks i32) (param $nib i32)
    (local $j i32) (local $b i32) (local $from i32) (local $to i32)
    ;; in bytes: a code is a byte, or half of one
    (local.set $span (i32.shr_u (local.get $span) (local.get $nib)))
    (local.set $padded (i32.shr_u (local.get $padded) (local.get $nib)))
    (block $done
      (loop $col
        (br_if $done (i32.ge_u (local.get $j) (local.get $width)))
        (memory.copy
          (i32.add (local.get $codesOut) (i32.mul (local.get $j) (local.get $padded)))
          (i32.add (local.get $codes) (i32.mul (local.get $j) (local.get $span)))
          (local.get $span))
        (local.set $b (i32.const 0))
        (local.set $from (i32.shl (local.get $j) (i32.const 2)))
        (local.set $to (i32.mul (local.get $j) (local.get $kBlocks)))
        (loop $block
          (f32.store (i32.add (local.get $sOut) (i32.shl (local.get $to) (i32.const 2))) (f32.load (i32.add (local.get $s) (local.get $from))))
          (i32.store8 (i32.add (local.get $zOut) (local.get $to)) (i32.trunc_f32_u (f32.load (i32.add (local.get $z) (local.get $from)))))
          (local.set $from (i32.add (local.get $from) (i32.shl (local.get $cols) (i32.const 2))))
          (local.set $to (i32.add (local.get $to) (i32.const 1)))
          (br_if $block (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $blocks))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $col))))

  ;; One tile: `blocks` blocks of bs rows (the last one has nLast real rows) of `cols` columns.
  (func (export "tile")
    (param $w i32) (param $cols i32) (param $blocks i32) (param $bs i32) (param $nLast i32) (param $sym i32)
    (param $lo i32) (param $hi i32) (param $s i32) (param $z i32) (param $codes i32) (param $nib i32)
    (local $b i32) (local $src i32) (local $n i32) (local $sb i32) (local $zb i32) (local $blockBytes i32) (local $span i32)
    (local.set $blockBytes (i32.mul (i32.mul (local.get $bs) (local.get $cols)) (i32.const 4)))
    (local.set $span (i32.mul (local.get $blocks) (local.get $bs)))
    (local.set $src (local.get $w))
    (block $done
      (loop $block
        (br_if $done (i32.ge_u (local.get $b) (local.get $blocks)))
        (local.set $n (select (local.get $nLast) (local.get $bs) (i32.eq (local.get $b) (i32.sub (local.get $blocks) (i32.const 1)))))
        (local.set $sb (i32.add (local.get $s) (i32.mul (i32.mul (local.get $b) (local.get $cols)) (i32.const 4))))
        (local.set $zb (i32.add (local.get $z) (i32.mul (i32.mul (local.get $b) (local.get $cols)) (i32.const 4))))
        (if (local.get $sym)
          (then (call $absmax (local.get $src) (local.get $n) (local.get $cols) (local.get $lo)))
          (else (call $minmax (local.get $src) (local.get $n) (local.get $cols) (local.get $lo) (local.get $hi))))
        (call $params (local.get $sym) (local.get $lo) (local.get $hi) (local.get $cols) (local.get $sb) (local.get $zb))
        (call $codes (local.get $src) (local.get $bs) (local.get $cols) (local.get $sb) (local.get $zb) (local.get $codes) (local.get $span)
          (i32.mul (local.get $b) (local.get $bs)) (local.get $nib))
        (local.set $src (i32.add (local.get $src) (local.get $blockBytes)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $block))))
)
