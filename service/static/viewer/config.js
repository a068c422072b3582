/* heritage-ar: point <model-viewer>'s decoders at our own vendored files before it loads
   (its defaults are Google/jsDelivr CDNs; the page's CSP allows our origin only). */
(function () {
  var d = document.currentScript.dataset;
  var cfg = (self.ModelViewerElement = self.ModelViewerElement || {});
  cfg.dracoDecoderLocation = d.draco;
  cfg.ktx2TranscoderLocation = d.basis;
  cfg.meshoptDecoderLocation = d.meshopt;
  cfg.lottieLoaderLocation = d.lottie;
})();
