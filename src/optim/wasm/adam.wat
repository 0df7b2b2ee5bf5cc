;; Adam's update (Keras 2 form, see ../adam.ts) on float32 arrays, four elements per instruction
;; with WebAssembly SIMD. Everything is float32 arithmetic in exactly the order of adam.ts'
;; float32 loop (`adamFloat32`), with no fused multiply-add, so the two give the same bits:
;;
;;   m ← β1·m + c1·g             c1 = 1 - β1
;;   v ← β2·v + (c2·g)·g         c2 = 1 - β2
;;   w ← w - (lr_t·m) / (sqrt(v) + ε)
;;
;; adam(w, g, m, v, keep, n, lrT, b1, c1, b2, c2, eps): w, g, m, v are byte offsets of n float32s in
;; the imported memory; w, m, v are updated in place. Their values before the update are stored at
;; `keep` (w, then m, then v: 3n float32s) as they are read, so the caller can undo the update, and
;; it returns the sum of x·0 over every new w and v: 0 when all are finite, NaN as soon as one is
;; not (Inf·0 and NaN·0 are NaN). m needs no check of its own: a non-finite m makes lr_t·m / (sqrt(v)
;; + ε) non-finite (lr_t ≥ 0 is finite, the divisor positive or non-finite), hence w.
;; Built into adam-binary.ts by scripts/build-wasm.mjs.
(module
  (import "env" "memory" (memory 1))
  (func $adam (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $keep i32) (param $n i32)
    (param $lr f32) (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $eps f32)
    (result f32)
    (local $i i32) (local $vecEnd i32) (local $end i32) (local $keepM i32) (local $keepV i32)
    (local $LR v128) (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $EPS v128)
    (local $gv v128) (local $mv v128) (local $vv v128) (local $wv v128) (local $old v128) (local $ZERO v128) (local $check v128)
    (local $gs f32) (local $ms f32) (local $vs f32) (local $ws f32) (local $olds f32) (local $checks f32)
    (local.set $ZERO (f32x4.splat (f32.const 0)))
    (local.set $check (local.get $ZERO))
    (local.set $checks (f32.const 0))
    (local.set $LR (f32x4.splat (local.get $lr)))
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $EPS (f32x4.splat (local.get $eps)))
    ;; byte ends: of the whole groups of four, and of all n
    (local.set $vecEnd (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $keepM (i32.add (local.get $keep) (local.get $end)))
    (local.set $keepV (i32.add (local.get $keepM) (local.get $end)))
    (local.set $i (i32.const 0))
    (block $vectorDone
      (loop $vector
        (br_if $vectorDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $i))))
        ;; m ← β1·m + c1·g   (the old m kept)
        (local.set $old (v128.load (i32.add (local.get $m) (local.get $i))))
        (v128.store (i32.add (local.get $keepM) (local.get $i)) (local.get $old))
        (local.set $mv (f32x4.add
          (f32x4.mul (local.get $B1) (local.get $old))
          (f32x4.mul (local.get $C1) (local.get $gv))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        ;; v ← β2·v + (c2·g)·g   (the old v kept)
        (local.set $old (v128.load (i32.add (local.get $v) (local.get $i))))
        (v128.store (i32.add (local.get $keepV) (local.get $i)) (local.get $old))
        (local.set $vv (f32x4.add
          (f32x4.mul (local.get $B2) (local.get $old))
          (f32x4.mul (f32x4.mul (local.get $C2) (local.get $gv)) (local.get $gv))))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        ;; w ← w - (lr_t·m) / (sqrt(v) + ε)   (the old w kept)
        (local.set $old (v128.load (i32.add (local.get $w) (local.get $i))))
        (v128.store (i32.add (local.get $keep) (local.get $i)) (local.get $old))
        (local.set $wv
          (f32x4.sub
            (local.get $old)
            (f32x4.div
              (f32x4.mul (local.get $LR) (local.get $mv))
              (f32x4.add (f32x4.sqrt (local.get $vv)) (local.get $EPS)))))
        (v128.store (i32.add (local.get $w) (local.get $i)) (local.get $wv))
        ;; check += w·0 + v·0 (0 while both are finite)
        (local.set $check (f32x4.add (local.get $check)
          (f32x4.add (f32x4.mul (local.get $wv) (local.get $ZERO)) (f32x4.mul (local.get $vv) (local.get $ZERO)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vector)))
    ;; the last n mod 4 elements, one at a time, the same operations
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $i))))
        (local.set $olds (f32.load (i32.add (local.get $m) (local.get $i))))
        (f32.store (i32.add (local.get $keepM) (local.get $i)) (local.get $olds))
        (local.set $ms (f32.add
          (f32.mul (local.get $b1) (local.get $olds))
          (f32.mul (local.get $c1) (local.get $gs))))
        (f32.store (i32.add (local.get $m) (local.get $i)) (local.get $ms))
        (local.set $olds (f32.load (i32.add (local.get $v) (local.get $i))))
        (f32.store (i32.add (local.get $keepV) (local.get $i)) (local.get $olds))
        (local.set $vs (f32.add
          (f32.mul (local.get $b2) (local.get $olds))
          (f32.mul (f32.mul (local.get $c2) (local.get $gs)) (local.get $gs))))
        (f32.store (i32.add (local.get $v) (local.get $i)) (local.get $vs))
        (local.set $olds (f32.load (i32.add (local.get $w) (local.get $i))))
        (f32.store (i32.add (local.get $keep) (local.get $i)) (local.get $olds))
        (local.set $ws
          (f32.sub
            (local.get $olds)
            (f32.div
              (f32.mul (local.get $lr) (local.get $ms))
              (f32.add (f32.sqrt (local.get $vs)) (local.get $eps)))))
        (f32.store (i32.add (local.get $w) (local.get $i)) (local.get $ws))
        (local.set $checks (f32.add (local.get $checks)
          (f32.add (f32.mul (local.get $ws) (f32.const 0)) (f32.mul (local.get $vs) (f32.const 0)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail)))
    ;; the four lanes' checks and the tail's
    (f32.add (local.get $checks)
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $check)) (f32x4.extract_lane 1 (local.get $check)))
        (f32.add (f32x4.extract_lane 2 (local.get $check)) (f32x4.extract_lane 3 (local.get $check))))))
)
