//! What a `no_std` WebAssembly package needs: an allocator and a panic
//! handler. The SDK is written not to panic on any input; if a bug ever makes
//! it, the module traps (the JS call throws) instead of carrying std's panic
//! formatting machinery, which would cost more bytes than the rest of the core.

#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: a wasm32-unknown-unknown module without threads has one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
