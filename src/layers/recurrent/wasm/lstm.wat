;; The LSTM layer's whole forward pass and whole backward pass (BPTT) for small float32 batches,
;; each in one call, and for larger ones each step's cell pass (cellForward, cellBackward, the
;; elementwise part of a step, between the products gemm.ts runs packed): the operations of src/layers/lstm.ts (its forward and backward with
;; recurrentActivation 'sigmoid', activation 'tanh', no masked step), in the same order and the
;; same arithmetic, so both give the same bits (test/lstm-wasm.test.ts checks it). lstm.ts stays
;; the readable reference; this module exists because a batch-1 training step is a few thousand
;; multiply-adds, and in JavaScript their loops, calls and copies cost more than the arithmetic.
;;
;; Every buffer lives in the imported memory, laid out by src/layers/recurrent/wasm/lstm-wasm.ts: the
;; weights W [I, 4H], U [H, 4H], b [4H]; the cache of lstm.ts (xT, gates, hs, cs, actC, dGates,
;; dXT, dh, dc: see its `Cache`); dy; the weight gradients; a scratch block. Offsets are in bytes,
;; counts and row strides in floats.
;;
;; Arithmetic, as lstm.ts does it: the activations, the cell update and the gate derivatives in
;; float64 on float32 values, rounded to float32 when stored (a JavaScript number is a float64;
;; a Float32Array store rounds). The forward's cell pass runs two units at a time, one per
;; float64 lane of a SIMD register, which changes no operation. The matrix products are those gemm.ts would choose for each
;; shape (the caller passes the choice in `flags`, as only unpacked shapes come here):
;; the float32 SIMD row kernels of src/tensor/wasm/gemm.wat (imported from an instance of that
;; module on this same memory), or, below ROWS_WASM_MIN_WORK multiply-adds, $axpy64 / $dot64, the
;; operations of gemm-kernels.ts' gemmRowsAxpy / gemmRowsDot (float64 sums of float32 values).
;; σ and tanh are those of src/tensor/float32-activations.ts (a float32 layer's), the same
;; float64 operations: plain arithmetic, so they run in SIMD lanes too.
(module
  (import "env" "memory" (memory 1))
  (import "gemm" "rowsAxpy" (func $rowsAxpy (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "gemm" "rowsDot" (func $rowsDot (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))

  ;; ---------------------------------------------------------------------------------------
  ;; Forward: z = x_t·W + b + h_{t-1}·U; i, f, o = σ(z); g = tanh(z_c);
  ;;          c_t = f⊙c_{t-1} + i⊙g; h_t = o⊙tanh(c_t).
  ;; flags: 1 bias, 2 input projection in float32 SIMD, 4 recurrent product in float32 SIMD.
  ;; Reads xT, W, U, b and slot 0 of hs / cs; writes gates (after activation), hs, cs, actC.
  ;; ---------------------------------------------------------------------------------------
  (func (export "forward")
    (param $T i32) (param $B i32) (param $I i32) (param $H i32) (param $flags i32)
    (param $W i32) (param $U i32) (param $bias i32)
    (param $xT i32) (param $gates i32) (param $hs i32) (param $cs i32) (param $actC i32)
    (local $G i32) (local $t i32) (local $slot i32)
    (local.set $G (i32.shl (local.get $H) (i32.const 2)))
    ;; gates = xT·W   ([T·B, I] × [I, 4H]), then + b on every row
    (memory.fill (local.get $gates) (i32.const 0) (i32.shl (i32.mul (i32.mul (local.get $T) (local.get $B)) (local.get $G)) (i32.const 2)))
    (call $product (i32.and (local.get $flags) (i32.const 2)) (i32.const 0)
      (i32.mul (local.get $T) (local.get $B)) (local.get $G) (local.get $I)
      (local.get $xT) (local.get $I) (local.get $W) (local.get $G) (local.get $gates) (local.get $G))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then (call $addRowVector (local.get $gates) (local.get $bias) (i32.mul (local.get $T) (local.get $B)) (local.get $G))))
    (local.set $slot (i32.shl (i32.mul (local.get $B) (local.get $H)) (i32.const 2))) ;; bytes of one (B, H) slot
    (local.set $t (i32.const 0))
    (block $tDone
      (loop $tLoop
        (br_if $tDone (i32.ge_u (local.get $t) (local.get $T)))
        ;; z += h_{t-1}·U   ([B, H] × [H, 4H]); h_{t-1} is slot t of hs
        (call $product (i32.and (local.get $flags) (i32.const 4)) (i32.const 0)
          (local.get $B) (local.get $G) (local.get $H)
          (i32.add (local.get $hs) (i32.mul (local.get $t) (local.get $slot))) (local.get $H)
          (local.get $U) (local.get $G)
          (i32.add (local.get $gates) (i32.shl (i32.mul (i32.mul (local.get $t) (local.get $B)) (local.get $G)) (i32.const 2))) (local.get $G))
        ;; the cell pass of step t: gates (step t), c_{t-1} (slot t of cs), act(c_t) (step t of actC), h_t (slot t+1 of hs)
        (call $cellForward (local.get $B) (local.get $H)
          (i32.add (local.get $gates) (i32.shl (i32.mul (i32.mul (local.get $t) (local.get $B)) (local.get $G)) (i32.const 2)))
          (i32.add (local.get $cs) (i32.mul (local.get $t) (local.get $slot)))
          (i32.add (local.get $actC) (i32.mul (local.get $t) (local.get $slot)))
          (i32.add (local.get $hs) (i32.mul (i32.add (local.get $t) (i32.const 1)) (local.get $slot))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tLoop))))

  ;; ---------------------------------------------------------------------------------------
  ;; The cell pass of one forward step, all B samples: i, f, o = σ(z); g = tanh(z_c);
  ;; c_t = f⊙c_{t-1} + i⊙g; h_t = o⊙tanh(c_t). gates: the step's z [B, 4H], overwritten by the
  ;; activated gates; cPrev: c_{t-1} [B, H], with c_t one (B, H) slot after it; actC: act(c_t)
  ;; [B, H]; hNext: h_t [B, H]. The forward above calls it at every step; lstm.ts calls it for
  ;; the shapes whose products gemm.ts runs packed.
  ;; ---------------------------------------------------------------------------------------
  (func $cellForward (export "cellForward")
    (param $B i32) (param $H i32) (param $gates i32) (param $cPrev i32) (param $actC i32) (param $hNext i32)
    (local $G i32) (local $b i32) (local $j i32) (local $slot i32) (local $hb i32)
    (local $pz i32) (local $pc i32) (local $ph i32) (local $pa i32)
    (local $i2 v128) (local $f2 v128) (local $g2 v128) (local $o2 v128) (local $c2 v128) (local $a2 v128)
    (local.set $G (i32.shl (local.get $H) (i32.const 2)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2))) ;; bytes from one gate block to the next
    (local.set $slot (i32.shl (i32.mul (local.get $B) (local.get $H)) (i32.const 2))) ;; bytes of one (B, H) slot
    (local.set $b (i32.const 0))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
        ;; pz: sample b's z_i; pc / pa: its c_{t-1}, act(c_t); ph: its h_t
        (local.set $pz (i32.add (local.get $gates) (i32.shl (i32.mul (local.get $b) (local.get $G)) (i32.const 2))))
        (local.set $pc (i32.add (local.get $cPrev) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
        (local.set $pa (i32.add (local.get $actC) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
        (local.set $ph (i32.add (local.get $hNext) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
        ;; two units at a time, one per float64 lane (the float32 values promoted), then the odd one
        (local.set $j (i32.const 0))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $H)))
            (local.set $i2 (call $sigmoid2 (call $load2 (local.get $pz)))) ;;                                          i = σ(z_i)
            (local.set $f2 (call $sigmoid2 (call $load2 (i32.add (local.get $pz) (local.get $hb))))) ;;                   f = σ(z_f)
            (local.set $g2 (call $tanh2 (call $load2 (i32.add (local.get $pz) (i32.shl (local.get $hb) (i32.const 1)))))) ;; g = tanh(z_c)
            (local.set $o2 (call $sigmoid2 (call $load2 (i32.add (local.get $pz) (i32.mul (local.get $hb) (i32.const 3)))))) ;; o = σ(z_o)
            (call $store2 (local.get $pz) (local.get $i2))
            (call $store2 (i32.add (local.get $pz) (local.get $hb)) (local.get $f2))
            (call $store2 (i32.add (local.get $pz) (i32.shl (local.get $hb) (i32.const 1))) (local.get $g2))
            (call $store2 (i32.add (local.get $pz) (i32.mul (local.get $hb) (i32.const 3))) (local.get $o2))
            ;; c_t = f⊙c_{t-1} + i⊙g  (c_{t-1} at pc, c_t one slot further)
            (local.set $c2 (f64x2.add (f64x2.mul (local.get $f2) (call $load2 (local.get $pc))) (f64x2.mul (local.get $i2) (local.get $g2))))
            (local.set $a2 (call $tanh2 (local.get $c2))) ;; act(c_t), from the unrounded c_t as lstm.ts
            (call $store2 (i32.add (local.get $pc) (local.get $slot)) (local.get $c2))
            (call $store2 (local.get $pa) (local.get $a2))
            (call $store2 (local.get $ph) (f64x2.mul (local.get $o2) (local.get $a2))) ;; h_t = o⊙act(c_t)
            (local.set $pz (i32.add (local.get $pz) (i32.const 8)))
            (local.set $pc (i32.add (local.get $pc) (i32.const 8)))
            (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
            (local.set $ph (i32.add (local.get $ph) (i32.const 8)))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $pairs)))
        ;; an odd H: the last unit in lane 0 alone (the other lane computes on zeros, unused)
        (if (i32.lt_u (local.get $j) (local.get $H))
          (then
            (local.set $i2 (call $sigmoid2 (call $load1 (local.get $pz))))
            (local.set $f2 (call $sigmoid2 (call $load1 (i32.add (local.get $pz) (local.get $hb)))))
            (local.set $g2 (call $tanh2 (call $load1 (i32.add (local.get $pz) (i32.shl (local.get $hb) (i32.const 1))))))
            (local.set $o2 (call $sigmoid2 (call $load1 (i32.add (local.get $pz) (i32.mul (local.get $hb) (i32.const 3))))))
            (call $store1 (local.get $pz) (local.get $i2))
            (call $store1 (i32.add (local.get $pz) (local.get $hb)) (local.get $f2))
            (call $store1 (i32.add (local.get $pz) (i32.shl (local.get $hb) (i32.const 1))) (local.get $g2))
            (call $store1 (i32.add (local.get $pz) (i32.mul (local.get $hb) (i32.const 3))) (local.get $o2))
            (local.set $c2 (f64x2.add (f64x2.mul (local.get $f2) (call $load1 (local.get $pc))) (f64x2.mul (local.get $i2) (local.get $g2))))
            (local.set $a2 (call $tanh2 (local.get $c2)))
            (call $store1 (i32.add (local.get $pc) (local.get $slot)) (local.get $c2))
            (call $store1 (local.get $pa) (local.get $a2))
            (call $store1 (local.get $ph) (f64x2.mul (local.get $o2) (local.get $a2)))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop))))

  ;; ---------------------------------------------------------------------------------------
  ;; Backward, the steps in reverse. On entry dh holds dL/dh_T (dy without returnSequences, else 0)
  ;; and dc 0; on exit dL/dh0, dL/dc0. flags: 1 bias, 2 returnSequences (dy is [B, T, H]), 4 dx
  ;; wanted, then float32 SIMD for 8 the dh product, 16 dW, 32 dU, 64 dx.
  ;; ---------------------------------------------------------------------------------------
  (func (export "backward")
    (param $T i32) (param $B i32) (param $I i32) (param $H i32) (param $flags i32)
    (param $W i32) (param $U i32)
    (param $xT i32) (param $gates i32) (param $hs i32) (param $cs i32) (param $actC i32)
    (param $dGates i32) (param $dy i32) (param $dh i32) (param $dc i32)
    (param $dW i32) (param $dU i32) (param $dBias i32) (param $dXT i32) (param $scratch i32)
    (local $G i32) (local $TB i32) (local $t i32) (local $slot i32)
    (local.set $G (i32.shl (local.get $H) (i32.const 2)))
    (local.set $TB (i32.mul (local.get $T) (local.get $B)))
    (local.set $slot (i32.shl (i32.mul (local.get $B) (local.get $H)) (i32.const 2)))
    (local.set $t (local.get $T))
    (block $tDone
      (loop $tLoop
        (br_if $tDone (i32.eqz (local.get $t)))
        (local.set $t (i32.sub (local.get $t) (i32.const 1)))
        ;; the cell pass of step t backward: dGates of step t, dh and dc one step back
        (call $cellBackward (local.get $B) (local.get $H) (local.get $T) (local.get $t) (i32.and (local.get $flags) (i32.const 2))
          (i32.add (local.get $gates) (i32.shl (i32.mul (i32.mul (local.get $t) (local.get $B)) (local.get $G)) (i32.const 2)))
          (i32.add (local.get $dGates) (i32.shl (i32.mul (i32.mul (local.get $t) (local.get $B)) (local.get $G)) (i32.const 2)))
          (i32.add (local.get $actC) (i32.mul (local.get $t) (local.get $slot)))
          (i32.add (local.get $cs) (i32.mul (local.get $t) (local.get $slot)))
          (local.get $dh) (local.get $dc) (local.get $dy))
        ;; dh += dz_t·Uᵀ   ([B, 4H] × [4H, H]; U stored [H, 4H])
        (call $product (i32.and (local.get $flags) (i32.const 8)) (i32.const 1)
          (local.get $B) (local.get $H) (local.get $G)
          (i32.add (local.get $dGates) (i32.shl (i32.mul (i32.mul (local.get $t) (local.get $B)) (local.get $G)) (i32.const 2))) (local.get $G)
          (local.get $U) (local.get $G) (local.get $dh) (local.get $H))
        (br $tLoop)))
    ;; dW = xTᵀ·dGates   ([I, T·B] × [T·B, 4H]), op(A) = xTᵀ transposed into scratch first
    (call $transpose (local.get $TB) (local.get $I) (local.get $xT) (local.get $scratch))
    (memory.fill (local.get $dW) (i32.const 0) (i32.shl (i32.mul (local.get $I) (local.get $G)) (i32.const 2)))
    (call $product (i32.and (local.get $flags) (i32.const 16)) (i32.const 0)
      (local.get $I) (local.get $G) (local.get $TB)
      (local.get $scratch) (local.get $TB) (local.get $dGates) (local.get $G) (local.get $dW) (local.get $G))
    ;; dU = hPrevᵀ·dGates   ([H, T·B] × [T·B, 4H]), hPrev = slots 0..T-1 of hs
    (call $transpose (local.get $TB) (local.get $H) (local.get $hs) (local.get $scratch))
    (memory.fill (local.get $dU) (i32.const 0) (i32.shl (i32.mul (local.get $H) (local.get $G)) (i32.const 2)))
    (call $product (i32.and (local.get $flags) (i32.const 32)) (i32.const 0)
      (local.get $H) (local.get $G) (local.get $TB)
      (local.get $scratch) (local.get $TB) (local.get $dGates) (local.get $G) (local.get $dU) (local.get $G))
    ;; db = the column sums of dGates
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (memory.fill (local.get $dBias) (i32.const 0) (i32.shl (local.get $G) (i32.const 2)))
        (call $addRows (local.get $dGates) (local.get $dBias) (local.get $TB) (local.get $G))))
    ;; dXT = dGates·Wᵀ   ([T·B, 4H] × [4H, I]; W stored [I, 4H])
    (if (i32.and (local.get $flags) (i32.const 4))
      (then
        (memory.fill (local.get $dXT) (i32.const 0) (i32.shl (i32.mul (local.get $TB) (local.get $I)) (i32.const 2)))
        (call $product (i32.and (local.get $flags) (i32.const 64)) (i32.const 1)
          (local.get $TB) (local.get $I) (local.get $G)
          (local.get $dGates) (local.get $G) (local.get $W) (local.get $G) (local.get $dXT) (local.get $I)))))

  ;; ---------------------------------------------------------------------------------------
  ;; The cell pass of one backward step t, all B samples. On entry dh, dc [B, H] hold dL/dh_t,
  ;; dL/dc_t from step t+1; with seq (returnSequences) dy [B, T, H] adds dy_t. Writes dz_t into
  ;; dGates [B, 4H], leaves dL/dc_{t-1} in dc and zeros dh (the product dh += dz_t·Uᵀ follows).
  ;; gates: the step's activated gates; actC: act(c_t); cPrev: c_{t-1}. The backward above calls
  ;; it at every step; lstm.ts calls it for the shapes whose products gemm.ts runs packed.
  ;; ---------------------------------------------------------------------------------------
  (func $cellBackward (export "cellBackward")
    (param $B i32) (param $H i32) (param $T i32) (param $t i32) (param $seq i32)
    (param $gates i32) (param $dGates i32) (param $actC i32) (param $cPrev i32)
    (param $dh i32) (param $dc i32) (param $dy i32)
    (local $G i32) (local $b i32) (local $j i32) (local $hb i32)
    (local $pz i32) (local $pdz i32) (local $pa i32) (local $pc i32)
    (local $pdh i32) (local $pdc i32) (local $pdy i32)
    (local $i f64) (local $f f64) (local $g f64) (local $o f64) (local $a f64)
    (local $dhj f64) (local $dO f64) (local $dcj f64)
    (local.set $G (i32.shl (local.get $H) (i32.const 2)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
        (local.set $pz (i32.add (local.get $gates) (i32.shl (i32.mul (local.get $b) (local.get $G)) (i32.const 2))))
        (local.set $pdz (i32.add (local.get $dGates) (i32.shl (i32.mul (local.get $b) (local.get $G)) (i32.const 2))))
        (local.set $pa (i32.add (local.get $actC) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
        (local.set $pc (i32.add (local.get $cPrev) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
        (local.set $pdh (i32.add (local.get $dh) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
        (local.set $pdc (i32.add (local.get $dc) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
        (local.set $pdy (i32.add (local.get $dy) (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $t)) (local.get $H)) (i32.const 2))))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $H)))
            (local.set $i (f64.promote_f32 (f32.load (local.get $pz)))) ;; the step's gates, after activation
            (local.set $f (f64.promote_f32 (f32.load (i32.add (local.get $pz) (local.get $hb)))))
            (local.set $g (f64.promote_f32 (f32.load (i32.add (local.get $pz) (i32.shl (local.get $hb) (i32.const 1))))))
            (local.set $o (f64.promote_f32 (f32.load (i32.add (local.get $pz) (i32.mul (local.get $hb) (i32.const 3))))))
            (local.set $a (f64.promote_f32 (f32.load (local.get $pa)))) ;; act(c_t)
            ;; dh = dL/dh_t from step t+1 (+ dy_t with returnSequences); the slot is then zeroed
            (local.set $dhj (f64.promote_f32 (f32.load (local.get $pdh))))
            (f32.store (local.get $pdh) (f32.const 0))
            (if (local.get $seq)
              (then (local.set $dhj (f64.add (local.get $dhj) (f64.promote_f32 (f32.load (local.get $pdy)))))))
            (local.set $dO (f64.mul (local.get $dhj) (local.get $a))) ;;                     h_t = o⊙act(c_t) w.r.t. o
            ;; dc = dL/dc_t from step t+1 + dh·o·(1 - act(c_t)²)
            (local.set $dcj (f64.add (f64.promote_f32 (f32.load (local.get $pdc)))
              (f64.mul (f64.mul (local.get $dhj) (local.get $o)) (f64.sub (f64.const 1) (f64.mul (local.get $a) (local.get $a))))))
            (f32.store (local.get $pdc) (f32.demote_f64 (f64.mul (local.get $dcj) (local.get $f)))) ;; w.r.t. c_{t-1}, to step t-1
            ;; dz_i = dc·g·i(1-i); dz_f = dc·c_{t-1}·f(1-f); dz_c = dc·i·(1-g²); dz_o = dO·o(1-o)
            (f32.store (local.get $pdz) (f32.demote_f64 (f64.mul (f64.mul (local.get $dcj) (local.get $g))
              (f64.mul (local.get $i) (f64.sub (f64.const 1) (local.get $i))))))
            (f32.store (i32.add (local.get $pdz) (local.get $hb)) (f32.demote_f64 (f64.mul (f64.mul (local.get $dcj) (f64.promote_f32 (f32.load (local.get $pc))))
              (f64.mul (local.get $f) (f64.sub (f64.const 1) (local.get $f))))))
            (f32.store (i32.add (local.get $pdz) (i32.shl (local.get $hb) (i32.const 1))) (f32.demote_f64 (f64.mul (f64.mul (local.get $dcj) (local.get $i))
              (f64.sub (f64.const 1) (f64.mul (local.get $g) (local.get $g))))))
            (f32.store (i32.add (local.get $pdz) (i32.mul (local.get $hb) (i32.const 3))) (f32.demote_f64 (f64.mul (local.get $dO)
              (f64.mul (local.get $o) (f64.sub (f64.const 1) (local.get $o))))))
            (local.set $pz (i32.add (local.get $pz) (i32.const 4)))
            (local.set $pdz (i32.add (local.get $pdz) (i32.const 4)))
            (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
            (local.set $pc (i32.add (local.get $pc) (i32.const 4)))
            (local.set $pdh (i32.add (local.get $pdh) (i32.const 4)))
            (local.set $pdc (i32.add (local.get $pdc) (i32.const 4)))
            (local.set $pdy (i32.add (local.get $pdy) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop))))

  ;; ---------------------------------------------------------------------------------------
  ;; Helpers
  ;; ---------------------------------------------------------------------------------------

  ;; The activations of src/tensor/float32-activations.ts, the same float64 operations in the same
  ;; order, two lanes at a time.
  ;; e^x = 2^n·e^r with n = floor(x·log2(e) + 1/2), r = (x - n·ln2_hi) - n·ln2_lo, e^r by Taylor to r^8.
  (func $exp2 (param $x v128) (result v128)
    (local $n v128) (local $r v128)
    (local.set $x (f64x2.pmax (f64x2.pmin (local.get $x) (f64x2.splat (f64.const 104))) (f64x2.splat (f64.const -104))))
    (local.set $n (f64x2.floor (f64x2.add (f64x2.mul (local.get $x) (f64x2.splat (f64.const 1.4426950408889634))) (f64x2.splat (f64.const 0.5)))))
    (local.set $r (f64x2.sub (f64x2.sub (local.get $x) (f64x2.mul (local.get $n) (f64x2.splat (f64.const 6.93147180369123816490e-01))))
      (f64x2.mul (local.get $n) (f64x2.splat (f64.const 1.90821492927058770002e-10)))))
    (f64x2.mul
      (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $r) (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $r) (f64x2.add (f64x2.splat (f64.const 0.5))
        (f64x2.mul (local.get $r) (f64x2.add (f64x2.splat (f64.const 0x1.5555555555555p-3))
        (f64x2.mul (local.get $r) (f64x2.add (f64x2.splat (f64.const 0x1.5555555555555p-5))
        (f64x2.mul (local.get $r) (f64x2.add (f64x2.splat (f64.const 0x1.1111111111111p-7))
        (f64x2.mul (local.get $r) (f64x2.add (f64x2.splat (f64.const 0x1.6c16c16c16c17p-10))
        (f64x2.mul (local.get $r) (f64x2.add (f64x2.splat (f64.const 0x1.a01a01a01a01ap-13))
        (f64x2.mul (local.get $r) (f64x2.splat (f64.const 0x1.a01a01a01a01ap-16))))))))))))))))))
      (i64x2.shl (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $n))) (i64x2.splat (i64.const 1023))) (i32.const 52))))

  ;; σ(x) = 1 / (1 + e^-x)
  (func $sigmoid2 (param $x v128) (result v128)
    (f64x2.div (f64x2.splat (f64.const 1)) (f64x2.add (f64x2.splat (f64.const 1)) (call $exp2 (f64x2.neg (local.get $x))))))

  ;; tanh x = x + x³·q(x²) for |x| < 0.4, else sign(x)·(1 - 2 / (e^2|x| + 1))
  (func $tanh2 (param $x v128) (result v128)
    (local $t v128) (local $x2 v128) (local $small v128)
    (local.set $t (f64x2.abs (local.get $x)))
    (local.set $x2 (f64x2.mul (local.get $x) (local.get $x)))
    (local.set $small (f64x2.add (local.get $x) (f64x2.mul (f64x2.mul (local.get $x) (local.get $x2)) (call $tanhSeries2 (local.get $x2)))))
    (local.set $t (f64x2.sub (f64x2.splat (f64.const 1))
      (f64x2.div (f64x2.splat (f64.const 2)) (f64x2.add (call $exp2 (f64x2.mul (f64x2.splat (f64.const 2)) (local.get $t))) (f64x2.splat (f64.const 1))))))
    ;; the sign of x on the large branch (t > 0 there), then the branch by |x| < 0.4
    (local.set $t (v128.or (local.get $t) (v128.and (local.get $x) (v128.const i64x2 0x8000000000000000 0x8000000000000000))))
    (v128.bitselect (local.get $small) (local.get $t) (f64x2.lt (f64x2.abs (local.get $x)) (f64x2.splat (f64.const 0.4)))))
  ;; q(x²) = T3 + T5 x² + … + T15 x^12, tanh's Taylor coefficients
  (func $tanhSeries2 (param $x2 v128) (result v128)
    (f64x2.add (f64x2.splat (f64.const -0x1.5555555555555p-2)) (f64x2.mul (local.get $x2) (f64x2.add (f64x2.splat (f64.const 0x1.1111111111111p-3))
    (f64x2.mul (local.get $x2) (f64x2.add (f64x2.splat (f64.const -0x1.ba1ba1ba1ba1cp-5))
    (f64x2.mul (local.get $x2) (f64x2.add (f64x2.splat (f64.const 0x1.664f4882c10fap-6))
    (f64x2.mul (local.get $x2) (f64x2.add (f64x2.splat (f64.const -0x1.226e355e6c23dp-7))
    (f64x2.mul (local.get $x2) (f64x2.add (f64x2.splat (f64.const 0x1.d6d3d0e157de0p-9))
    (f64x2.mul (local.get $x2) (f64x2.splat (f64.const -0x1.7da36452b75e3p-10)))))))))))))))

  ;; Two float32 values at p promoted to a float64 pair; a pair rounded to float32 and stored at p.
  (func $load2 (param $p i32) (result v128)
    (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))))
  (func $store2 (param $p i32) (param $v v128)
    (v128.store64_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (local.get $v))))
  ;; The same for one float32 value, in lane 0.
  (func $load1 (param $p i32) (result v128)
    (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $p))))
  (func $store1 (param $p i32) (param $v v128)
    (v128.store32_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (local.get $v))))

  ;; Applies $sigmoid2 (kind 0) or $tanh2 (kind 1) to n float64s at byte offset p in place, pairs
  ;; first and an odd last one in lane 0 alone, as the forward does: for test/lstm-wasm.test.ts,
  ;; which compares them with float32-activations.ts.
  (func (export "activate") (param $kind i32) (param $p i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (if (result v128) (i32.lt_u (i32.add (local.get $p) (i32.const 8)) (local.get $end))
          (then (v128.load (local.get $p)))
          (else (v128.load64_zero (local.get $p)))))
        (local.set $v (if (result v128) (local.get $kind) (then (call $tanh2 (local.get $v))) (else (call $sigmoid2 (local.get $v)))))
        (f64.store (local.get $p) (f64x2.extract_lane 0 (local.get $v)))
        (if (i32.lt_u (i32.add (local.get $p) (i32.const 8)) (local.get $end))
          (then (f64.store offset=8 (local.get $p) (f64x2.extract_lane 1 (local.get $v)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $each))))

  ;; C += A·B (transB 0; B stored k×n) or A·Bᵀ (transB 1; B stored n×k), A m×k with row stride lda:
  ;; gemm.wat's float32 row kernels when f32 ≠ 0, else the float64 ones below.
  (func $product (export "product") (param $f32 i32) (param $transB i32)
    (param $m i32) (param $n i32) (param $k i32) (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (if (local.get $f32)
      (then
        (if (local.get $transB)
          (then (call $rowsDot (local.get $m) (local.get $n) (local.get $k) (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb) (local.get $c) (local.get $ldc)))
          (else (call $rowsAxpy (local.get $m) (local.get $n) (local.get $k) (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb) (local.get $c) (local.get $ldc)))))
      (else
        (if (local.get $transB)
          (then (call $dot64 (local.get $m) (local.get $n) (local.get $k) (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb) (local.get $c) (local.get $ldc)))
          (else (call $axpy64 (local.get $m) (local.get $n) (local.get $k) (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb) (local.get $c) (local.get $ldc)))))))

  ;; gemmRowsAxpy (gemm-kernels.ts): for each row, four rows of B at a time (a group of four zero
  ;; coefficients skipped), c[j] += ((a0·b0[j] + a1·b1[j]) + a2·b2[j]) + a3·b3[j] in float64, then
  ;; the last k mod 4 rows one at a time (a zero coefficient skipped).
  (func $axpy64
    (param $m i32) (param $n i32) (param $k i32) (param $aOff i32) (param $lda i32) (param $bOff i32) (param $ldb i32) (param $cOff i32) (param $ldc i32)
    (local $i i32) (local $p i32) (local $j i32) (local $k4 i32) (local $arow i32) (local $crow i32)
    (local $b0 i32) (local $ldbBytes i32) (local $cj i32) (local $bj i32)
    (local $a0 f64) (local $a1 f64) (local $a2 f64) (local $a3 f64)
    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
    (local.set $ldbBytes (i32.shl (local.get $ldb) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $arow (i32.add (local.get $aOff) (i32.shl (i32.mul (local.get $i) (local.get $lda)) (i32.const 2))))
        (local.set $crow (i32.add (local.get $cOff) (i32.shl (i32.mul (local.get $i) (local.get $ldc)) (i32.const 2))))
        (local.set $p (i32.const 0))
        (block $pDone
          (loop $pLoop
            (br_if $pDone (i32.ge_u (local.get $p) (local.get $k4)))
            (local.set $a0 (f64.promote_f32 (f32.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2))))))
            (local.set $a1 (f64.promote_f32 (f32.load offset=4 (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2))))))
            (local.set $a2 (f64.promote_f32 (f32.load offset=8 (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2))))))
            (local.set $a3 (f64.promote_f32 (f32.load offset=12 (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2))))))
            (if (i32.eqz (i32.and (i32.and (f64.eq (local.get $a0) (f64.const 0)) (f64.eq (local.get $a1) (f64.const 0)))
                                  (i32.and (f64.eq (local.get $a2) (f64.const 0)) (f64.eq (local.get $a3) (f64.const 0)))))
              (then
                (local.set $b0 (i32.add (local.get $bOff) (i32.mul (local.get $p) (local.get $ldbBytes))))
                (local.set $j (i32.const 0))
                (block $jDone
                  (loop $jLoop
                    (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
                    (local.set $cj (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
                    (local.set $bj (i32.add (local.get $b0) (i32.shl (local.get $j) (i32.const 2))))
                    (f32.store (local.get $cj) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $cj)))
                      (f64.add
                        (f64.add
                          (f64.add (f64.mul (local.get $a0) (f64.promote_f32 (f32.load (local.get $bj))))
                                   (f64.mul (local.get $a1) (f64.promote_f32 (f32.load (i32.add (local.get $bj) (local.get $ldbBytes))))))
                          (f64.mul (local.get $a2) (f64.promote_f32 (f32.load (i32.add (local.get $bj) (i32.shl (local.get $ldbBytes) (i32.const 1)))))))
                        (f64.mul (local.get $a3) (f64.promote_f32 (f32.load (i32.add (local.get $bj) (i32.mul (local.get $ldbBytes) (i32.const 3))))))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $jLoop)))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $pLoop)))
        (block $qDone
          (loop $qLoop
            (br_if $qDone (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $a0 (f64.promote_f32 (f32.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2))))))
            (if (f64.ne (local.get $a0) (f64.const 0))
              (then
                (local.set $b0 (i32.add (local.get $bOff) (i32.mul (local.get $p) (local.get $ldbBytes))))
                (local.set $j (i32.const 0))
                (block $jDone1
                  (loop $jLoop1
                    (br_if $jDone1 (i32.ge_u (local.get $j) (local.get $n)))
                    (local.set $cj (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
                    (f32.store (local.get $cj) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $cj)))
                      (f64.mul (local.get $a0) (f64.promote_f32 (f32.load (i32.add (local.get $b0) (i32.shl (local.get $j) (i32.const 2)))))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $jLoop1)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $qLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop))))

  ;; gemmRowsDot (gemm-kernels.ts): c[i, j] += Σ_p a[i, p]·b[j, p], the sum in float64 from p = 0 on.
  (func $dot64
    (param $m i32) (param $n i32) (param $k i32) (param $aOff i32) (param $lda i32) (param $bOff i32) (param $ldb i32) (param $cOff i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $p i32) (local $arow i32) (local $brow i32) (local $cij i32) (local $sum f64)
    (local.set $i (i32.const 0))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $arow (i32.add (local.get $aOff) (i32.shl (i32.mul (local.get $i) (local.get $lda)) (i32.const 2))))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $brow (i32.add (local.get $bOff) (i32.shl (i32.mul (local.get $j) (local.get $ldb)) (i32.const 2))))
            (local.set $sum (f64.const 0))
            (local.set $p (i32.const 0))
            (block $pDone
              (loop $pLoop
                (br_if $pDone (i32.ge_u (local.get $p) (local.get $k)))
                (local.set $sum (f64.add (local.get $sum)
                  (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2)))))
                           (f64.promote_f32 (f32.load (i32.add (local.get $brow) (i32.shl (local.get $p) (i32.const 2))))))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $pLoop)))
            (local.set $cij (i32.add (local.get $cOff) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2))))
            (f32.store (local.get $cij) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $cij))) (local.get $sum))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop))))

  ;; m[r, j] += v[j] for rows × n (float32 additions, as a Float32Array's +=).
  (func $addRowVector (export "addRowVector") (param $m i32) (param $v i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $j i32) (local $p i32)
    (local.set $p (local.get $m))
    (local.set $r (i32.const 0))
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
            (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32.load (i32.add (local.get $v) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))

  ;; out[j] += m[r, j] for every row r in order (lstm.ts' columnSums, out zeroed first by the caller).
  (func $addRows (export "addRows") (param $m i32) (param $out i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $j i32) (local $p i32) (local $q i32)
    (local.set $p (local.get $m))
    (local.set $r (i32.const 0))
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $q (local.get $out))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
            (f32.store (local.get $q) (f32.add (f32.load (local.get $q)) (f32.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))

  ;; to[c, r] = from[r, c] for a rows × cols float32 matrix.
  (func $transpose (export "transpose") (param $rows i32) (param $cols i32) (param $from i32) (param $to i32)
    (local $r i32) (local $c i32)
    (local.set $r (i32.const 0))
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (block $cDone
          (loop $cLoop
            (br_if $cDone (i32.ge_u (local.get $c) (local.get $cols)))
            (f32.store (i32.add (local.get $to) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
              (f32.load (i32.add (local.get $from) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $cLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))

)
