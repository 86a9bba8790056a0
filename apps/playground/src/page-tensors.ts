// The page's own thread runs TensorFlow.js for one thing only: checkMargin's test that each
// margin's tensor form has finite gradients, on a few dozen cosines. The plain cpu backend
// does that at once and synchronously (checkMargin reads with dataSync), and a custom
// formula's tensor form is differentiated by autodiff, which needs tfjs' gradient functions.
// Training runs in the worker, on the backend selected there.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
