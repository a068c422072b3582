/* heritage-ar: Lottie textures are not used; this keeps model-viewer from fetching a CDN loader. */
export class LottieLoader {
  constructor() {
    throw new Error('heritage-ar: Lottie textures are not supported');
  }
}
