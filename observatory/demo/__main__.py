"""``python -m observatory.demo OUT_DIR [SEED]``"""

from observatory.demo import main

main()
