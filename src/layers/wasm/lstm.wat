;; The LSTM layer's whole forward pass and whole backward pass (BPTT) for small float32 batches,
;; each in one call: the operations of src/layers/lstm.ts (its forward and backward with
;; recurrentActivation 'sigmoid', activation 'tanh', no masked step), in the same order and the
;; same arithmetic, so both give the same bits (test/lstm-wasm.test.ts checks it). lstm.ts stays
;; the readable reference; this module exists because a batch-1 training step is a few thousand
;; multiply-adds, and in JavaScript their loops, calls and copies cost more than the arithmetic.
;;
;; Every buffer lives in the imported memory, laid out by src/layers/wasm/lstm-wasm.ts: the
;; weights W [I, 4H], U [H, 4H], b [4H]; the cache of lstm.ts (xT, gates, hs, cs, actC, dGates,
;; dXT, dh, dc: see its `Cache`); dy; the weight gradients; a scratch block. Offsets are in bytes,
;; counts and row strides in floats.
;;
;; Arithmetic, as lstm.ts does it: the activations, the cell update and the gate derivatives in
;; float64 on float32 values, rounded to float32 when stored (a JavaScript number is a float64;
;; a Float32Array store rounds). The matrix products are those gemm.ts would choose for each
;; shape (the caller passes the choice in `flags`, as only unpacked shapes come here):
;; the float32 SIMD row kernels of src/tensor/wasm/gemm.wat (imported from an instance of that
;; module on this same memory), or, below ROWS_WASM_MIN_WORK multiply-adds, $axpy64 / $dot64, the
;; operations of gemm-kernels.ts' gemmRowsAxpy / gemmRowsDot (float64 sums of float32 values).
;; e^x is Math.exp itself (imported); tanh is $tanh below, fdlibm's algorithm as V8's Math.tanh
;; computes it, bit for bit.
(module
  (import "env" "memory" (memory 1))
  (import "gemm" "rowsAxpy" (func $rowsAxpy (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "gemm" "rowsDot" (func $rowsDot (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "math" "exp" (func $exp (param f64) (result f64)))

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
    (local $G i32) (local $t i32) (local $b i32) (local $j i32)
    (local $slot i32) (local $pz i32) (local $pc i32) (local $ph i32) (local $pa i32)
    (local $hb i32) (local $i f64) (local $f f64) (local $g f64) (local $o f64) (local $c f64) (local $a f64)
    (local.set $G (i32.shl (local.get $H) (i32.const 2)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2))) ;; bytes from one gate block to the next
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
        (local.set $b (i32.const 0))
        (block $bDone
          (loop $bLoop
            (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
            ;; pz: sample b's z_i at step t; pc / pa: its c_{t-1} (slot t of cs), act(c_t) (step t of actC);
            ;; ph: its h_t (slot t+1 of hs)
            (local.set $pz (i32.add (local.get $gates) (i32.shl (i32.mul (i32.add (i32.mul (local.get $t) (local.get $B)) (local.get $b)) (local.get $G)) (i32.const 2))))
            (local.set $pc (i32.add (i32.add (local.get $cs) (i32.mul (local.get $t) (local.get $slot))) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
            (local.set $pa (i32.add (i32.add (local.get $actC) (i32.mul (local.get $t) (local.get $slot))) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
            (local.set $ph (i32.add (i32.add (local.get $hs) (i32.mul (i32.add (local.get $t) (i32.const 1)) (local.get $slot))) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $H)))
                (local.set $i (call $sigmoid (f64.promote_f32 (f32.load (local.get $pz))))) ;;                                          i = σ(z_i)
                (local.set $f (call $sigmoid (f64.promote_f32 (f32.load (i32.add (local.get $pz) (local.get $hb)))))) ;;                   f = σ(z_f)
                (local.set $g (call $tanh (f64.promote_f32 (f32.load (i32.add (local.get $pz) (i32.shl (local.get $hb) (i32.const 1))))))) ;; g = tanh(z_c)
                (local.set $o (call $sigmoid (f64.promote_f32 (f32.load (i32.add (local.get $pz) (i32.mul (local.get $hb) (i32.const 3))))))) ;; o = σ(z_o)
                (f32.store (local.get $pz) (f32.demote_f64 (local.get $i)))
                (f32.store (i32.add (local.get $pz) (local.get $hb)) (f32.demote_f64 (local.get $f)))
                (f32.store (i32.add (local.get $pz) (i32.shl (local.get $hb) (i32.const 1))) (f32.demote_f64 (local.get $g)))
                (f32.store (i32.add (local.get $pz) (i32.mul (local.get $hb) (i32.const 3))) (f32.demote_f64 (local.get $o)))
                ;; c_t = f⊙c_{t-1} + i⊙g  (c_{t-1} at pc, c_t one slot further)
                (local.set $c (f64.add (f64.mul (local.get $f) (f64.promote_f32 (f32.load (local.get $pc)))) (f64.mul (local.get $i) (local.get $g))))
                (local.set $a (call $tanh (local.get $c))) ;; act(c_t), from the unrounded c_t as lstm.ts
                (f32.store (i32.add (local.get $pc) (local.get $slot)) (f32.demote_f64 (local.get $c)))
                (f32.store (local.get $pa) (f32.demote_f64 (local.get $a)))
                (f32.store (local.get $ph) (f32.demote_f64 (f64.mul (local.get $o) (local.get $a)))) ;; h_t = o⊙act(c_t)
                (local.set $pz (i32.add (local.get $pz) (i32.const 4)))
                (local.set $pc (i32.add (local.get $pc) (i32.const 4)))
                (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
                (local.set $ph (i32.add (local.get $ph) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $bLoop)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tLoop))))

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
    (local $G i32) (local $TB i32) (local $t i32) (local $b i32) (local $j i32)
    (local $slot i32) (local $hb i32) (local $pz i32) (local $pdz i32) (local $pa i32) (local $pc i32)
    (local $pdh i32) (local $pdc i32) (local $pdy i32)
    (local $i f64) (local $f f64) (local $g f64) (local $o f64) (local $a f64)
    (local $dhj f64) (local $dO f64) (local $dcj f64)
    (local.set $G (i32.shl (local.get $H) (i32.const 2)))
    (local.set $TB (i32.mul (local.get $T) (local.get $B)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $slot (i32.shl (i32.mul (local.get $B) (local.get $H)) (i32.const 2)))
    (local.set $t (local.get $T))
    (block $tDone
      (loop $tLoop
        (br_if $tDone (i32.eqz (local.get $t)))
        (local.set $t (i32.sub (local.get $t) (i32.const 1)))
        (local.set $b (i32.const 0))
        (block $bDone
          (loop $bLoop
            (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
            (local.set $pz (i32.add (local.get $gates) (i32.shl (i32.mul (i32.add (i32.mul (local.get $t) (local.get $B)) (local.get $b)) (local.get $G)) (i32.const 2))))
            (local.set $pdz (i32.add (local.get $pz) (i32.sub (local.get $dGates) (local.get $gates))))
            (local.set $pa (i32.add (i32.add (local.get $actC) (i32.mul (local.get $t) (local.get $slot))) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
            (local.set $pc (i32.add (i32.add (local.get $cs) (i32.mul (local.get $t) (local.get $slot))) (i32.shl (i32.mul (local.get $b) (local.get $H)) (i32.const 2))))
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
                (if (i32.and (local.get $flags) (i32.const 2))
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
            (br $bLoop)))
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
  ;; Helpers
  ;; ---------------------------------------------------------------------------------------

  ;; σ(x) as elementwise.ts' sigmoid: two branches, so that e^-x never overflows.
  (func $sigmoid (param $x f64) (result f64)
    (local $e f64)
    (if (f64.ge (local.get $x) (f64.const 0))
      (then (return (f64.div (f64.const 1) (f64.add (f64.const 1) (call $exp (f64.neg (local.get $x))))))))
    (local.set $e (call $exp (local.get $x)))
    (f64.div (local.get $e) (f64.add (f64.const 1) (local.get $e))))

  ;; C += A·B (transB 0; B stored k×n) or A·Bᵀ (transB 1; B stored n×k), A m×k with row stride lda:
  ;; gemm.wat's float32 row kernels when f32 ≠ 0, else the float64 ones below.
  (func $product (param $f32 i32) (param $transB i32)
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
  (func $addRowVector (param $m i32) (param $v i32) (param $rows i32) (param $n i32)
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
  (func $addRows (param $m i32) (param $out i32) (param $rows i32) (param $n i32)
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
  (func $transpose (param $rows i32) (param $cols i32) (param $from i32) (param $to i32)
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

  ;; ---------------------------------------------------------------------------------------
  ;; tanh, as V8's Math.tanh (fdlibm's s_tanh.c and s_expm1.c, which V8 ports to C++): the
  ;; same operations, so the same bits (test/lstm-wasm.test.ts compares the two on random
  ;; doubles and bit patterns). Exported for that test.
  ;; ---------------------------------------------------------------------------------------
  (func $tanh (export "tanh") (param $x f64) (result f64)
    (local $jx i32) (local $ix i32) (local $t f64) (local $z f64)
    (local.set $jx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32)))) ;; high word
    (local.set $ix (i32.and (local.get $jx) (i32.const 0x7fffffff)))
    (if (i32.ge_u (local.get $ix) (i32.const 0x7ff00000)) ;; ±inf: ±1; NaN: NaN
      (then
        (if (i32.ge_s (local.get $jx) (i32.const 0))
          (then (return (f64.add (f64.div (f64.const 1) (local.get $x)) (f64.const 1)))))
        (return (f64.sub (f64.div (f64.const 1) (local.get $x)) (f64.const 1)))))
    (if (i32.lt_u (local.get $ix) (i32.const 0x40360000)) ;; |x| < 22
      (then
        (if (i32.lt_u (local.get $ix) (i32.const 0x3e300000)) ;; |x| < 2^-28: tanh(x) = x
          (then (return (local.get $x))))
        (if (i32.ge_u (local.get $ix) (i32.const 0x3ff00000)) ;; |x| ≥ 1: 1 - 2/(e^2|x| + 1)
          (then
            (local.set $t (call $expm1 (f64.mul (f64.const 2) (f64.abs (local.get $x)))))
            (local.set $z (f64.sub (f64.const 1) (f64.div (f64.const 2) (f64.add (local.get $t) (f64.const 2))))))
          (else ;; -expm1(-2|x|) / (expm1(-2|x|) + 2)
            (local.set $t (call $expm1 (f64.mul (f64.const -2) (f64.abs (local.get $x)))))
            (local.set $z (f64.div (f64.neg (local.get $t)) (f64.add (local.get $t) (f64.const 2)))))))
      (else (local.set $z (f64.const 1)))) ;; |x| ≥ 22: ±1
    (select (local.get $z) (f64.neg (local.get $z)) (i32.ge_s (local.get $jx) (i32.const 0))))

  ;; e^x - 1 (fdlibm's expm1) for the finite |x| < 44 that $tanh passes.
  (func $expm1 (param $x f64) (result f64)
    (local $hx i32) (local $xsb i32) (local $k i32)
    (local $hi f64) (local $lo f64) (local $c f64) (local $t f64) (local $e f64)
    (local $hxs f64) (local $hfx f64) (local $r1 f64) (local $y f64) (local $twopk f64)
    (local.set $hx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32))))
    (local.set $xsb (i32.and (local.get $hx) (i32.const 0x80000000))) ;; sign bit
    (local.set $hx (i32.and (local.get $hx) (i32.const 0x7fffffff))) ;;   high word of |x|
    ;; x < -56 ln2: -1
    (if (i32.ge_u (local.get $hx) (i32.const 0x4043687a))
      (then (if (local.get $xsb) (then (return (f64.const -1))))))
    ;; argument reduction: x = k·ln2 + (hi - lo), |hi - lo| ≤ ln2 / 2, c the rounding error
    (if (i32.gt_u (local.get $hx) (i32.const 0x3fd62e42)) ;; |x| > ln2 / 2
      (then
        (if (i32.lt_u (local.get $hx) (i32.const 0x3ff0a2b2)) ;; and |x| < 1.5 ln2
          (then
            (if (i32.eqz (local.get $xsb))
              (then
                (local.set $hi (f64.sub (local.get $x) (f64.const 6.93147180369123816490e-01)))
                (local.set $lo (f64.const 1.90821492927058770002e-10))
                (local.set $k (i32.const 1)))
              (else
                (local.set $hi (f64.add (local.get $x) (f64.const 6.93147180369123816490e-01)))
                (local.set $lo (f64.const -1.90821492927058770002e-10))
                (local.set $k (i32.const -1)))))
          (else
            (local.set $k (i32.trunc_f64_s (f64.add (f64.mul (f64.const 1.44269504088896338700e+00) (local.get $x))
              (select (f64.const 0.5) (f64.const -0.5) (i32.eqz (local.get $xsb))))))
            (local.set $t (f64.convert_i32_s (local.get $k)))
            (local.set $hi (f64.sub (local.get $x) (f64.mul (local.get $t) (f64.const 6.93147180369123816490e-01))))
            (local.set $lo (f64.mul (local.get $t) (f64.const 1.90821492927058770002e-10)))))
        (local.set $x (f64.sub (local.get $hi) (local.get $lo)))
        (local.set $c (f64.sub (f64.sub (local.get $hi) (local.get $x)) (local.get $lo))))
      (else
        (if (i32.lt_u (local.get $hx) (i32.const 0x3c900000)) ;; |x| < 2^-54: x
          (then (return (local.get $x))))
        (local.set $k (i32.const 0))))
    ;; x in the primary range: a rational approximation of e^x - 1
    (local.set $hfx (f64.mul (f64.const 0.5) (local.get $x)))
    (local.set $hxs (f64.mul (local.get $x) (local.get $hfx)))
    (local.set $r1 (f64.add (f64.const 1)
      (f64.mul (local.get $hxs) (f64.add (f64.const -3.33333333333331316428e-02)
      (f64.mul (local.get $hxs) (f64.add (f64.const 1.58730158725481460165e-03)
      (f64.mul (local.get $hxs) (f64.add (f64.const -7.93650757867487942473e-05)
      (f64.mul (local.get $hxs) (f64.add (f64.const 4.00821782732936239552e-06)
      (f64.mul (local.get $hxs) (f64.const -2.01099218183624371326e-07))))))))))))
    (local.set $t (f64.sub (f64.const 3) (f64.mul (local.get $r1) (local.get $hfx))))
    (local.set $e (f64.mul (local.get $hxs)
      (f64.div (f64.sub (local.get $r1) (local.get $t)) (f64.sub (f64.const 6) (f64.mul (local.get $x) (local.get $t))))))
    (if (i32.eqz (local.get $k))
      (then (return (f64.sub (local.get $x) (f64.sub (f64.mul (local.get $x) (local.get $e)) (local.get $hxs))))))
    ;; scale back by 2^k
    (local.set $twopk (f64.reinterpret_i64 (i64.shl (i64.extend_i32_s (i32.add (i32.const 0x3ff00000) (i32.shl (local.get $k) (i32.const 20)))) (i64.const 32))))
    (local.set $e (f64.sub (f64.mul (local.get $x) (f64.sub (local.get $e) (local.get $c))) (local.get $c)))
    (local.set $e (f64.sub (local.get $e) (local.get $hxs)))
    (if (i32.eq (local.get $k) (i32.const -1))
      (then (return (f64.sub (f64.mul (f64.const 0.5) (f64.sub (local.get $x) (local.get $e))) (f64.const 0.5)))))
    (if (i32.eq (local.get $k) (i32.const 1))
      (then
        (if (f64.lt (local.get $x) (f64.const -0.25))
          (then (return (f64.mul (f64.const -2) (f64.sub (local.get $e) (f64.add (local.get $x) (f64.const 0.5)))))))
        (return (f64.add (f64.const 1) (f64.mul (f64.const 2) (f64.sub (local.get $x) (local.get $e)))))))
    (if (i32.or (i32.le_s (local.get $k) (i32.const -2)) (i32.gt_s (local.get $k) (i32.const 56)))
      (then
        (local.set $y (f64.sub (f64.const 1) (f64.sub (local.get $e) (local.get $x))))
        (return (f64.sub (f64.mul (local.get $y) (local.get $twopk)) (f64.const 1)))))
    (if (i32.lt_s (local.get $k) (i32.const 20))
      (then
        ;; t = 1 - 2^-k
        (local.set $t (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (i32.sub (i32.const 0x3ff00000) (i32.shr_u (i32.const 0x200000) (local.get $k)))) (i64.const 32))))
        (return (f64.mul (f64.sub (local.get $t) (f64.sub (local.get $e) (local.get $x))) (local.get $twopk)))))
    ;; t = 2^-k
    (local.set $t (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (i32.shl (i32.sub (i32.const 0x3ff) (local.get $k)) (i32.const 20))) (i64.const 32))))
    (f64.mul (f64.add (f64.sub (local.get $x) (f64.add (local.get $e) (local.get $t))) (f64.const 1)) (local.get $twopk)))
)
